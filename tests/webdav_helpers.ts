/**
 * Helpers for the WebDAV tests: a served temp folder with `--webdav` and
 * every write switched on (disposed with `await using`), and curl with a
 * custom method that returns the status, headers and body.
 *
 * @module
 */

import type { HttpServerOptions } from "../http/options.ts";
import type { HttpServerHandle } from "../http/server.ts";
import { curl, serve } from "./http_helpers.ts";
import { type TempDir, tempDir } from "./temp_dir.ts";

/** The credentials of the test servers. */
export const CREDS = "alice:s3cret";

/** `--webdav` with every write switched on, for alice. */
export const DAV_OPTIONS = {
  webdav: true,
  upload: true,
  mkdir: true,
  delete: true,
  auth: CREDS,
} as const;

/** A WebDAV server on a fresh folder. */
export interface DavServer extends AsyncDisposable {
  dir: TempDir;
  /** The served folder. */
  root: string;
  server: HttpServerHandle;
  /** The URL of `path` (no leading slash). */
  url(path: string): string;
}

/** Starts `netkit http --webdav --upload --mkdir --delete --auth` on a fresh folder. */
export async function davServer(o: Partial<HttpServerOptions> = {}): Promise<DavServer> {
  const dir = await tempDir("dav-");
  const root = dir.join("root");
  await Deno.mkdir(root);
  const server = await serve({ root, ...DAV_OPTIONS, ...o });
  return {
    dir,
    root,
    server,
    url: (p) => server.url + p,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** What {@linkcode davCurl} saw. */
export interface DavReply {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/**
 * Sends one request with curl: `method`, extra `headers` ("Name: value"),
 * an optional `body`, and the test credentials unless `creds` is null.
 */
export async function davCurl(
  method: string,
  url: string,
  options: { headers?: string[]; body?: string; creds?: string | null } = {},
): Promise<DavReply> {
  const args = ["-X", method, "-D", "-", "--path-as-is", "-g"];
  const creds = options.creds === undefined ? CREDS : options.creds;
  if (creds !== null) args.push("-u", creds);
  for (const h of options.headers ?? []) args.push("-H", h);
  if (options.body !== undefined) args.push("--data-binary", options.body);
  if (method === "HEAD") args.push("-I");
  const r = await curl([...args, url]);
  if (r.code !== 0) throw new Error(`curl failed (${r.code}): ${r.stderr}`);
  const text = r.text;
  // Skip interim answers (100 Continue).
  let start = 0;
  while (/^HTTP\/1\.1 1\d\d/.test(text.slice(start))) start = text.indexOf("\r\n\r\n", start) + 4;
  const end = text.indexOf("\r\n\r\n", start);
  const [statusLine, ...lines] = text.slice(start, end).split("\r\n");
  const headers = new Map<string, string>();
  for (const l of lines) {
    const i = l.indexOf(":");
    headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: text.slice(end + 4) };
}

/** A `lockinfo` body. */
export function lockBody(scope: "exclusive" | "shared" = "exclusive", owner = "tester"): string {
  return `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">` +
    `<D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype>` +
    `<D:owner>${owner}</D:owner></D:lockinfo>`;
}

/** The token of a LOCK answer's `Lock-Token` header. */
export function tokenOf(r: DavReply): string {
  return (r.headers.get("lock-token") ?? "").replace(/^<|>$/g, "");
}
