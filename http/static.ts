/**
 * The static file handler, a plain `Request -> Response` function over a
 * {@linkcode Library}: method check, one strict decode of the path, then a
 * file, a folder's `index.html`, a listing, a redirect or an error page.
 * Every refusal is 400, 403, 404 or 405; nothing here answers 500 to a bad
 * request. What wraps it (credentials, writes, archives, the browser page)
 * is composed around it from the outside (`app.ts`).
 *
 * @module
 */

import { isNetkitError, NetkitError } from "../core/errors.ts";
import type { Library } from "../core/library/library.ts";
import { CompressCache } from "./compress.ts";
import { FileCache } from "./file_cache.ts";
import { HotPaths } from "./hot_path.ts";
import { type FileContext, fileResponse, type JailedFile } from "./file_response.ts";
import type { Handler } from "./handler.ts";
import { type ListingEntry, renderHtml, renderJson, wantsJson } from "./listing.ts";
import type { StaticOptions } from "./options.ts";
import { text } from "./plain_text.ts";
import { encodeSegments, rawPathOf, urlPathOf } from "./url_path.ts";

/** Renders a folder's HTML listing: the decoded URL path (ending in `/`) and its entries. */
export type ListingRenderer = (req: Request, urlPath: string, entries: ListingEntry[]) => string;

/** A ready handler and the resources it holds. */
export interface StaticHandler {
  /** Answers one request; synchronous when the answer is in memory. */
  readonly handle: Handler;
  /** The compressed-bytes cache (tests wait on it). */
  readonly compress: CompressCache | null;
  /** The in-memory caches (with their hit and miss counts): answers of hot paths, small files' bytes. */
  readonly caches: { readonly hot: HotPaths; readonly file: FileCache };
  /** Releases the compression Worker; safe to call twice. */
  close(): void;
}

/** What the static handler serves, on top of {@linkcode StaticOptions}. */
export interface StaticHandlerOptions extends Omit<StaticOptions, "root"> {
  /** Headers on every response. @default nosniff, and CORS when `cors` */
  common?: [string, string][];
  /** The HTML listing page. @default a plain table ({@linkcode renderHtml}) */
  renderListing?: ListingRenderer;
  /** The entries of the folder at `segments` that `req` may see. @default all */
  filterListing?: (req: Request, segments: string[], entries: ListingEntry[]) => ListingEntry[];
}

const ALLOW = "GET, HEAD";
/** Most entries a listing shows; a larger folder is cut short. */
export const MAX_LISTING = 10_000;

/** The headers every answer of `netkit http` carries, for these options. */
export function commonHeaders(options: { cors?: boolean }): [string, string][] {
  const common: [string, string][] = [["x-content-type-options", "nosniff"]];
  if (options.cors) common.push(["access-control-allow-origin", "*"]);
  return common;
}

/** Builds the static handler over `library`. */
export function createStaticHandler(
  library: Library,
  options: StaticHandlerOptions = {},
): StaticHandler {
  const hidden = library.hidden;
  const listing = options.listing ?? true;
  const common = options.common ?? commonHeaders(options);
  const renderListing = options.renderListing ??
    ((_req, path, entries) => renderHtml(path, entries));
  const compress = (options.compress ?? true) ? new CompressCache() : null;
  const ctx: FileContext = {
    library,
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

  function tryFile(segments: string[]): JailedFile | null {
    const f = library.tryFind(segments);
    return f?.info.isFile ? f : null;
  }

  function notFound(req: Request, visible: boolean): Response | Promise<Response> {
    if (options.spa && visible) {
      const index = tryFile(["index.html"]);
      if (index) return fileResponse(ctx, req, index, { plain: true });
    }
    const page = tryFile(["404.html"]);
    if (page) return fileResponse(ctx, req, page, { status: 404, plain: true });
    return text(404, "not found\n", common);
  }

  function refuse(req: Request, e: unknown, visible: boolean): Response | Promise<Response> {
    if (isNetkitError(e, "FORBIDDEN")) return text(403, "forbidden\n", common);
    if (isNetkitError(e, "INVALID_NAME")) return text(400, "bad path\n", common);
    return notFound(req, visible); // NOT_FOUND, and odd file-system errors
  }

  function handle(req: Request): Response | Promise<Response> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      if (req.method === "OPTIONS" && options.cors) {
        return new Response(null, {
          status: 204,
          headers: [...common, ["allow", ALLOW], ["access-control-allow-methods", ALLOW], [
            "access-control-allow-headers",
            "*",
          ]],
        });
      }
      return text(405, "method not allowed\n", [...common, ["allow", ALLOW]]);
    }
    const raw = rawPathOf(req.url);
    const hit = ctx.hot.answer(raw, req);
    if (hit !== null) return hit;
    const path = urlPathOf(raw);
    if (path === null) return text(400, "bad path\n", common);
    if (path.hidden && !hidden) return notFound(req, false);
    let f: JailedFile;
    try {
      f = library.find(path.segments);
    } catch (e) {
      return refuse(req, e, true);
    }
    if (f.info.isFile) {
      return path.slash ? notFound(req, true) : fileResponse(ctx, req, f, { hotKey: raw });
    }
    if (!f.info.isDirectory) return notFound(req, true); // FIFOs, sockets, devices
    if (!path.slash) {
      const url = req.url;
      const q = url.indexOf("?");
      const location = encodeSegments(path.segments) + "/" + (q >= 0 ? url.slice(q) : "");
      return new Response(null, {
        status: 301,
        headers: [...common, ["location", safeLocation(location)]],
      });
    }
    const index = tryFile([...path.segments, "index.html"]);
    if (index) return fileResponse(ctx, req, index);
    if (!listing) return text(403, "listing disabled\n", common);
    return listFolder(req, path.segments);
  }

  async function listFolder(req: Request, segments: string[]): Promise<Response> {
    let entries: ListingEntry[];
    try {
      entries = (await library.list(segments, MAX_LISTING)).map(({ name, info }) => ({
        name,
        dir: info.isDirectory,
        size: info.isFile ? info.size : 0,
        mtimeMs: info.mtime?.getTime() ?? null,
      }));
    } catch (e) {
      return refuse(
        req,
        isNetkitError(e) ? e : new NetkitError("FORBIDDEN", "cannot list"),
        true,
      );
    }
    if (options.filterListing) entries = options.filterListing(req, segments, entries);
    const urlPath = segments.length === 0 ? "/" : `/${segments.join("/")}/`;
    const json = wantsJson(req.headers.get("accept"));
    const body = json ? renderJson(urlPath, entries) : renderListing(req, urlPath, entries);
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
    caches: { hot: ctx.hot, file: ctx.files },
    close: () => compress?.close(),
  };
}

/**
 * Guards a redirect target: it must be a path on this host, so a `Location`
 * can never start with `//` (another host) or `/\`.
 */
export function safeLocation(location: string): string {
  return "/" + location.replace(/^[/\\]+/, "");
}
