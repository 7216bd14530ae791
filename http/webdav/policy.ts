/**
 * Who may do what through WebDAV, decided in one place: the
 * {@linkcode DavPolicy} answers "may this request do this to this path",
 * and names the principal a lock belongs to. {@linkcode flagPolicy} is the
 * policy of the command-line switches (`--upload` for PUT, COPY, MOVE,
 * PROPPATCH, LOCK and UNLOCK, `--mkdir` for MKCOL, `--delete` for DELETE and
 * the source of a MOVE); a rules engine can replace it whole.
 *
 * @module
 */

import { decodeBase64 } from "../auth.ts";
import type { WebOptions } from "../web_options.ts";

/** What a request does to one path. */
export type DavAction = "read" | "write" | "mkdir" | "delete";

/** The permission decision of the WebDAV layer. */
export interface DavPolicy {
  /** The methods switched on at all (the `Allow` header; others get 405). */
  readonly methods: readonly string[];
  /** True when `req` may do `action` to `segments` (else 403). */
  may(req: Request, action: DavAction, segments: readonly string[]): boolean;
  /** Who makes the request, as locks record it ("" for nobody). */
  principalOf(req: Request): string;
}

/** Methods every WebDAV server answers. */
export const READ_METHODS = ["OPTIONS", "GET", "HEAD", "PROPFIND"] as const;

/** The actions each writing method needs, on its target (and a MOVE's source). */
export const METHOD_ACTIONS: Readonly<Record<string, readonly DavAction[]>> = {
  PUT: ["write"],
  PATCH: ["write"],
  PROPPATCH: ["write"],
  LOCK: ["write"],
  UNLOCK: ["write"],
  COPY: ["write"],
  MOVE: ["write", "delete"],
  MKCOL: ["mkdir"],
  DELETE: ["delete"],
};

/** The policy of the command-line switches. */
export function flagPolicy(o: WebOptions): DavPolicy {
  const granted = new Set<DavAction>(["read"]);
  if (o.upload) granted.add("write");
  if (o.mkdir) granted.add("mkdir");
  if (o.delete) granted.add("delete");
  const methods: string[] = [...READ_METHODS];
  for (const [m, needs] of Object.entries(METHOD_ACTIONS)) {
    if (m !== "PATCH" && needs.every((a) => granted.has(a))) methods.push(m);
  }
  return {
    methods,
    may: (_req, action) => granted.has(action),
    principalOf,
  };
}

/**
 * The principal of a request as the credentials name it: `user:NAME` for
 * HTTP Basic, `token` for a bearer token, "" for none. The credentials are
 * checked before any write, so a name here is one that passed.
 */
export function principalOf(req: Request): string {
  const h = req.headers.get("authorization");
  if (h === null) return "";
  const sp = h.indexOf(" ");
  const scheme = h.slice(0, sp).toLowerCase();
  if (scheme === "bearer") return "token";
  if (scheme !== "basic") return "";
  const bytes = decodeBase64(h.slice(sp + 1).trim());
  if (bytes === null) return "";
  const text = new TextDecoder().decode(bytes);
  return `user:${text.slice(0, Math.max(0, text.indexOf(":")))}`;
}
