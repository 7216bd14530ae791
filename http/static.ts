/**
 * The static file handler as a pure-ish `Request -> Response` function:
 * method check, one strict decode of the path, the shared root jail, then a
 * file, a folder's `index.html`, a listing, a redirect or an error page.
 * Every refusal is 400, 403, 404 or 405; nothing here answers 500 to a bad
 * request.
 *
 * @module
 */

import { isNetkitError, NetkitError } from "../core/errors.ts";
import { isVisibleName } from "../core/jail.ts";
import { canonicalRoot, resolveInsideSync } from "../core/jail_fs.ts";
import { CompressCache } from "./compress.ts";
import { FileCache } from "./file_cache.ts";
import { HotPaths } from "./hot_path.ts";
import { type FileContext, fileResponse, type JailedFile, text } from "./file_response.ts";
import { type ListingEntry, renderJson, wantsJson } from "./listing.ts";
import type { StaticOptions } from "./options.ts";
import { encodeSegments, parseUrlPath, rawPathOf } from "./url_path.ts";
import { createWebLayer, type Peer } from "./web.ts";

/** A ready handler and the resources it holds. */
export interface StaticHandler {
  /**
   * Answers one request; synchronous when the answer is in memory.
   * `peer` (the client's address) paces repeated credential failures.
   */
  handle(req: Request, peer?: Peer): Response | Promise<Response>;
  /** The compressed-bytes cache (tests wait on it). */
  readonly compress: CompressCache | null;
  /** Releases the compression Worker; safe to call twice. */
  close(): void;
}

const ALLOW = "GET, HEAD";
/** Most entries a listing shows; a larger folder is cut short. */
export const MAX_LISTING = 10_000;

/**
 * Builds the handler for `options.root` (checked and made canonical now).
 *
 * @throws {NetkitError} `NOT_FOUND` when the root is missing or not a folder
 */
export async function createStaticHandler(
  options: StaticOptions,
): Promise<StaticHandler> {
  const root = await canonicalRoot(options.root);
  const hidden = options.hidden ?? false;
  const listing = options.listing ?? true;
  const common: [string, string][] = [["x-content-type-options", "nosniff"]];
  if (options.cors) common.push(["access-control-allow-origin", "*"]);
  const compress = (options.compress ?? true) ? new CompressCache() : null;
  const ctx: FileContext = {
    root,
    followSymlinks: options.followSymlinks ?? false,
    common,
    cacheControl: options.cacheControl ?? null,
    files: new FileCache(
      options.cacheFileMax ?? 1024 * 1024,
      options.cacheBytes ?? 64 * 1024 * 1024,
    ),
    compress,
    stallMs: options.stallTimeout ?? 60_000,
    hot: new HotPaths(options.revalidate ?? 1000, options.cacheBytes ?? 64 * 1024 * 1024),
  };

  // Credentials, writes, archives and the listing page (see web.ts).
  const web = createWebLayer(options, root, common);

  function resolve(segments: string[]): JailedFile {
    const j = resolveInsideSync(root, segments, {
      followSymlinks: ctx.followSymlinks,
    });
    return { segments, ...j };
  }

  function tryFile(segments: string[]): JailedFile | null {
    try {
      const f = resolve(segments);
      return f.info.isFile ? f : null;
    } catch {
      return null;
    }
  }

  function notFound(
    req: Request,
    visible: boolean,
  ): Response | Promise<Response> {
    if (options.spa && visible) {
      const index = tryFile(["index.html"]);
      if (index) return fileResponse(ctx, req, index, 200, true);
    }
    const page = tryFile(["404.html"]);
    if (page) return fileResponse(ctx, req, page, 404, true);
    return text(404, "not found\n", common);
  }

  function refuse(
    req: Request,
    e: unknown,
    visible: boolean,
  ): Response | Promise<Response> {
    if (isNetkitError(e, "FORBIDDEN")) return text(403, "forbidden\n", common);
    if (isNetkitError(e, "INVALID_NAME")) {
      return text(400, "bad path\n", common);
    }
    return notFound(req, visible); // NOT_FOUND, and odd file-system errors
  }

  function handle(req: Request, peer?: Peer): Response | Promise<Response> {
    return web.intercept(req, peer, serveStatic) ?? serveStatic(req);
  }

  function serveStatic(req: Request): Response | Promise<Response> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      if (req.method === "OPTIONS" && options.cors) {
        return new Response(null, {
          status: 204,
          headers: [...common, ["allow", ALLOW], [
            "access-control-allow-methods",
            ALLOW,
          ], ["access-control-allow-headers", "*"]],
        });
      }
      return text(405, "method not allowed\n", [...common, ["allow", ALLOW]]);
    }
    const raw = rawPathOf(req.url);
    const hit = ctx.hot.answer(raw, req);
    if (hit !== null) return hit;
    let path;
    try {
      path = parseUrlPath(raw);
    } catch {
      return text(400, "bad path\n", common);
    }
    if (path.hidden && !hidden) return notFound(req, false);
    let f: JailedFile;
    try {
      f = resolve(path.segments);
    } catch (e) {
      return refuse(req, e, true);
    }
    if (f.info.isFile) {
      return path.slash ? notFound(req, true) : fileResponse(ctx, req, f, 200, false, false, raw);
    }
    if (!f.info.isDirectory) return notFound(req, true); // FIFOs, sockets, devices
    if (!path.slash) {
      const url = req.url;
      const q = url.indexOf("?");
      const location = encodeSegments(path.segments) + "/" +
        (q >= 0 ? url.slice(q) : "");
      return new Response(null, {
        status: 301,
        headers: [...common, ["location", safeLocation(location)]],
      });
    }
    const index = tryFile([...path.segments, "index.html"]);
    if (index) return fileResponse(ctx, req, index);
    if (!listing) return text(403, "listing disabled\n", common);
    return listFolder(req, f, path.segments);
  }

  async function listFolder(
    req: Request,
    dir: JailedFile,
    segments: string[],
  ): Promise<Response> {
    const entries: ListingEntry[] = [];
    try {
      for await (const e of Deno.readDir(dir.real)) {
        if (!isVisibleName(e.name, hidden)) continue;
        if (entries.length >= MAX_LISTING) break;
        let info: Deno.FileInfo;
        try {
          info = resolve([...segments, e.name]).info; // a link out of the root is left out
        } catch {
          continue;
        }
        if (!info.isFile && !info.isDirectory) continue;
        entries.push({
          name: e.name,
          dir: info.isDirectory,
          size: info.isFile ? info.size : 0,
          mtimeMs: info.mtime?.getTime() ?? null,
        });
      }
    } catch (e) {
      return refuse(
        req,
        isNetkitError(e) ? e : new NetkitError("FORBIDDEN", "cannot list"),
        true,
      );
    }
    const urlPath = segments.length === 0 ? "/" : `/${segments.join("/")}/`;
    const json = wantsJson(req.headers.get("accept"));
    const body = json ? renderJson(urlPath, entries) : web.page(req, urlPath, entries);
    const type = json ? "application/json; charset=utf-8" : "text/html; charset=utf-8";
    const bytes = new TextEncoder().encode(body);
    return new Response(req.method === "HEAD" ? null : bytes, {
      headers: [
        ...common,
        ["content-type", type],
        ["content-length", String(bytes.length)],
        ["cache-control", "no-cache"],
        ["vary", "Accept"],
      ],
    });
  }

  return {
    handle,
    compress,
    close: () => compress?.close(),
  };
}

/**
 * The response for an error that escaped the handler: the jail's refusals
 * become 400, 403 or 404; anything else is a real server fault (500), which
 * is also reported on stderr.
 */
export function errorResponse(e: unknown): Response {
  if (isNetkitError(e, "INVALID_NAME")) return text(400, "bad path\n");
  if (isNetkitError(e, "FORBIDDEN")) return text(403, "forbidden\n");
  if (isNetkitError(e, "NOT_FOUND")) return text(404, "not found\n");
  if (isNetkitError(e, "TIMEOUT")) { // a body stream gave up; the answer is already under way
    console.error(`netkit http: ${e.message}`);
    return text(408, "timeout\n");
  }
  console.error(`netkit http: ${e instanceof Error ? e.message : String(e)}`);
  return text(500, "internal error\n");
}

/**
 * Guards a redirect target: it must be a path on this host, so a `Location`
 * can never start with `//` (another host) or `/\`.
 */
export function safeLocation(location: string): string {
  return "/" + location.replace(/^[/\\]+/, "");
}
