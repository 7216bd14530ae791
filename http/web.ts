/**
 * The browser-facing layer in front of the static handler: credentials
 * (`--auth-read` for reads, always for writes), the write methods (`PUT`,
 * `PATCH`, `MKCOL`, `DELETE`, each only when switched on), the cross-site
 * request checks, folder archives, and the listing page. It answers what it
 * owns and returns null for everything else, so a plain GET costs one
 * method check and one substring search.
 *
 * @module
 */

import { resolveInsideSync } from "../core/jail_fs.ts";
import { archiveFormat, archiveResponse } from "./archive.ts";
import { AuthThrottle } from "../core/auth.ts";
import { HttpAuth } from "./auth.ts";
import type { ListingEntry } from "./listing.ts";
import { renderPage } from "./listing_page.ts";
import { handleDelete, handleMkcol } from "./folder_ops.ts";
import { handleUpload } from "./upload.ts";
import { reply, type WriteContext } from "./write_common.ts";
import { parseUrlPath, rawPathOf } from "./url_path.ts";
import type { WebOptions } from "./web_options.ts";

/**
 * Where a request came from: `Deno.serve`'s handler info fits. Its address is
 * read only when a credential check needs it (each read is a call into Deno).
 */
export interface Peer {
  readonly remoteAddr: { readonly hostname: string };
}

/** The address of `peer`, or "" when unknown. */
function addressOf(peer: Peer | undefined): string {
  return peer?.remoteAddr.hostname ?? "";
}

/** The layer's two hooks into the static handler. */
export interface WebLayer {
  /**
   * Answers a request this layer owns, or returns null. `peer` tells the
   * client's address (repeated credential failures from it are slowed down);
   * `next` is the static handler, for a read let through after such a wait.
   */
  intercept(
    req: Request,
    peer: Peer | undefined,
    next: (req: Request) => Response | Promise<Response>,
  ): Response | Promise<Response> | null;
  /** Renders a folder's HTML listing page. */
  page(req: Request, urlPath: string, entries: ListingEntry[]): string;
}

const WRITES = new Set(["PUT", "PATCH", "MKCOL", "DELETE", "POST"]);

/**
 * True when a write may come from `origin`: no `Origin` header (not a
 * browser, or a same-origin navigation in old browsers) or exactly the
 * server's own origin. `null` (sandboxed frames, redirects) is refused.
 */
export function sameOrigin(origin: string | null, requestUrl: string): boolean {
  if (origin === null) return true;
  try {
    return origin === new URL(requestUrl).origin;
  } catch {
    return false;
  }
}

/** Builds the layer for the canonical `root`. */
export function createWebLayer(
  options: WebOptions & { hidden?: boolean; followSymlinks?: boolean; stallTimeout?: number },
  root: string,
  common: [string, string][],
): WebLayer {
  const auth = new HttpAuth(options.auth, options.token ?? undefined);
  const hidden = options.hidden ?? false;
  const followSymlinks = options.followSymlinks ?? false;
  const authRead = (options.authRead ?? false) && auth.configured;
  const archives = options.archive ?? true;
  const ctx: WriteContext = {
    root,
    hidden,
    options,
    common,
    stallMs: options.stallTimeout ?? 60_000,
  };
  const allowed = new Set<string>();
  if (options.upload) allowed.add("PUT").add("PATCH");
  if (options.mkdir) allowed.add("MKCOL");
  if (options.delete) allowed.add("DELETE");
  const allow = ["GET", "HEAD", ...allowed].join(", ");

  const throttle = new AuthThrottle(options.authThrottle);

  function verdict(req: Request, remote: string): boolean {
    const header = req.headers.get("authorization");
    const ok = auth.check(header);
    if (ok) throttle.succeed(remote);
    else if (header !== null) throttle.fail(remote); // a guess, not a first anonymous visit
    return ok;
  }

  /** Checks credentials, after a growing wait once `remote` has failed a few times. */
  function gate(req: Request, remote: string): boolean | Promise<boolean> {
    const wait = throttle.delayFor(remote);
    if (wait === 0) return verdict(req, remote);
    return new Promise((resolve) => setTimeout(() => resolve(verdict(req, remote)), wait));
  }

  const unauthorized = (req: Request) =>
    reply(401, "credentials needed", [...common, [
      "www-authenticate",
      auth.challenge(req.headers.has("x-netkit")),
    ]]);

  function archive(req: Request, raw: string): Response | null {
    const url = req.url;
    const format = archiveFormat(url.slice(url.indexOf("?")));
    if (format === null) return null;
    let path;
    try {
      path = parseUrlPath(raw);
      if (path.hidden && !hidden) return null;
      const dir = resolveInsideSync(root, path.segments, { followSymlinks });
      if (!dir.info.isDirectory || !path.slash) return null;
    } catch {
      return null; // the static handler gives the usual 400/403/404
    }
    return archiveResponse(root, path.segments, format, { hidden, followSymlinks }, req, common);
  }

  function write(req: Request, peer: Peer | undefined): Response | Promise<Response> {
    if (!allowed.has(req.method)) {
      return reply(405, "method not allowed", [...common, ["allow", allow]]);
    }
    if (!sameOrigin(req.headers.get("origin"), req.url)) {
      return reply(403, "cross-origin write refused", common);
    }
    const ok = gate(req, addressOf(peer));
    if (ok === true) return authorizedWrite(req);
    if (ok === false) return unauthorized(req);
    return ok.then((yes) => yes ? authorizedWrite(req) : unauthorized(req));
  }

  function authorizedWrite(req: Request): Response | Promise<Response> {
    const m = req.method;
    let path;
    try {
      path = parseUrlPath(rawPathOf(req.url));
    } catch {
      return reply(400, "bad path", common);
    }
    if (m === "MKCOL") return handleMkcol(ctx, path);
    if (m === "DELETE") return handleDelete(ctx, path);
    return handleUpload(ctx, req, path);
  }

  return {
    intercept(req, peer, next) {
      const m = req.method;
      if (m === "GET" || m === "HEAD") {
        const read = () =>
          archives && req.url.includes("archive=") ? archive(req, rawPathOf(req.url)) : null;
        if (!authRead) return read();
        const ok = gate(req, addressOf(peer));
        if (ok === true) return read();
        if (ok === false) return unauthorized(req);
        return ok.then((yes) => yes ? (read() ?? next(req)) : unauthorized(req));
      }
      if (WRITES.has(m)) {
        if (allowed.size === 0) return null; // the static handler's 405
        return write(req, peer);
      }
      return null;
    },
    page(req, urlPath, entries) {
      return renderPage(urlPath, entries, {
        search: new URL(req.url).search,
        upload: options.upload ?? false,
        auth: auth.schemes,
        archives,
      });
    },
  };
}
