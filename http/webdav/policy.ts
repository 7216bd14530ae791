/**
 * Who may do what through WebDAV, decided in one place: the
 * {@linkcode DavPolicy} answers "may this request do this to this path",
 * names the principal a lock belongs to, and hides from PROPFIND what the
 * sender may not see. {@linkcode accessPolicy} asks the one rule engine
 * (`core/access/access_rules.ts`, through `http/access.ts`), which the access
 * layer in front of WebDAV has already told who sent the request.
 *
 * @module
 */

import { D, R, W } from "../../core/access/access_rules.ts";
import type { Access } from "../access.ts";

/** What a request does to one path. */
export type DavAction = "read" | "write" | "delete";

/** The permission decision of the WebDAV layer. */
export interface DavPolicy {
  /** The methods switched on at all (the `Allow` header; others get 405). */
  readonly methods: readonly string[];
  /** True when `req` may do `action` to `segments` (else 403). */
  may(req: Request, action: DavAction, segments: readonly string[]): boolean;
  /** True when `req` may do `action` to `segments` and to everything below it (a folder's tree). */
  mayTree(req: Request, action: DavAction, segments: readonly string[]): boolean;
  /** True when `req` may replace what is at `segments` (a COPY or MOVE with `Overwrite: T`). */
  mayReplace(req: Request, segments: readonly string[]): boolean;
  /**
   * The refusal after {@linkcode mayTree} or {@linkcode mayReplace} said no:
   * 401 with a challenge when signing in could help all through the tree,
   * else 403.
   */
  refuse(req: Request, action: DavAction, segments: readonly string[]): Response;
  /** True when a PROPFIND of the folder above shows `segments` to the sender of `req`. */
  visible(req: Request, segments: readonly string[], dir: boolean): boolean;
  /** Who makes the request, as locks record it ("" for nobody). */
  principalOf(req: Request): string;
}

/** Methods every WebDAV server answers. */
const READ_METHODS = ["OPTIONS", "GET", "HEAD", "PROPFIND"];

const BITS: Readonly<Record<DavAction, number>> = { read: R, write: W, delete: D };

/**
 * The WebDAV methods switched on, from the plain HTTP ones the switches and
 * rules turned on (`PUT` for writing, `MKCOL`, `DELETE`): writing brings
 * PROPPATCH, LOCK, UNLOCK and COPY; MOVE needs writing and deleting.
 */
export function davMethods(http: ReadonlySet<string>): Set<string> {
  const on = new Set<string>(READ_METHODS);
  const write = http.has("PUT");
  if (write) ["PUT", "PROPPATCH", "LOCK", "UNLOCK", "COPY"].forEach((m) => on.add(m));
  if (http.has("MKCOL")) on.add("MKCOL");
  if (http.has("DELETE")) on.add("DELETE");
  if (write && http.has("DELETE")) on.add("MOVE");
  return on;
}

/** What {@linkcode accessPolicy} needs besides {@linkcode Access}. */
export interface AccessPolicyOptions {
  /** The methods switched on. */
  methods: readonly string[];
  /** Headers on every response. */
  common: [string, string][];
  /**
   * Replacing needs `d` as well as `w` (under rules, and with `--overwrite`);
   * else `--upload` alone lets a write replace, as WebDAV clients save.
   */
  replaceNeedsDelete: boolean;
}

/** The policy of the rule engine, over the methods switched on. */
export function accessPolicy(access: Access, o: AccessPolicyOptions): DavPolicy {
  return {
    methods: o.methods,
    may: (req, action, segments) => access.can(req, segments, BITS[action]),
    mayTree: (req, action, segments) => access.canTree(req, segments, BITS[action]),
    mayReplace: (req, segments) => !o.replaceNeedsDelete || access.canTree(req, segments, D),
    refuse: (req, action, segments) => access.refuse(req, segments, BITS[action], o.common, true),
    visible: (req, segments, dir) => access.visible(req, segments, dir),
    principalOf(req) {
      const s = access.subjectOf(req);
      if (s.user !== null) return `user:${s.user}`;
      return s.signedIn ? "token" : "";
    },
  };
}
