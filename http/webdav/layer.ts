/**
 * WebDAV for `netkit http --webdav` (RFC 4918, class 1 and 2) as a layer:
 * OPTIONS, PROPFIND, PROPPATCH, PUT, MKCOL, DELETE, COPY, MOVE, LOCK and
 * UNLOCK are answered here; GET, HEAD, a resumable upload's cancel (a
 * DELETE naming its size) and everything else pass to the handler inside.
 * Who sent the request was found by the access layer in front
 * (`http/access.ts`), which also checked the permission the method needs
 * on the request's path (a handler checks what more it touches: a tree, a
 * destination). Here each request is checked in one order: the method
 * switched on (405 with `Allow`), the path (400), the origin of a write
 * (403 cross-origin), a macOS metadata name (`--macos-files`), then the
 * handler, whose refusals all become answers in one place.
 *
 * @module
 */

import type { Handler, Layer, Peer } from "../handler.ts";
import { isUploadCancel } from "../upload.ts";
import { parseUrlPath, rawPathOf, type UrlPath } from "../url_path.ts";
import { sameOrigin } from "../writes.ts";
import type { DavContext } from "./context.ts";
import { handleCopyMove, parseDestination } from "./copy_move.ts";
import { DavError, davErrorResponse } from "./dav_error.ts";
import { handleLock, handleUnlock } from "./locking.ts";
import { handleDelete, handleMkcol, handlePut } from "./members.ts";
import { handlePropfind } from "./propfind.ts";
import { handleProppatch } from "./proppatch.ts";
import { macMetadataAnswer, touchesMacMetadata } from "./quirks.ts";

/** The methods this layer answers itself. */
const DAV_METHODS = new Set([
  "OPTIONS",
  "PROPFIND",
  "PROPPATCH",
  "PUT",
  "MKCOL",
  "DELETE",
  "COPY",
  "MOVE",
  "LOCK",
  "UNLOCK",
]);

/** Request headers a browser may send cross-origin (the CORS preflight answer). */
const DAV_HEADERS = "authorization, content-type, depth, destination, if, lock-token, " +
  "overwrite, timeout, x-netkit, content-range, upload-offset, upload-length";

type Route = (ctx: DavContext, req: Request, path: UrlPath) => Promise<Response>;

const ROUTES: Readonly<Record<string, Route>> = {
  PROPFIND: handlePropfind,
  PROPPATCH: handleProppatch,
  PUT: handlePut,
  MKCOL: handleMkcol,
  DELETE: handleDelete,
  COPY: (ctx, req, path) => handleCopyMove(ctx, req, path, false),
  MOVE: (ctx, req, path) => handleCopyMove(ctx, req, path, true),
  LOCK: handleLock,
  UNLOCK: handleUnlock,
};

/** The WebDAV layer over `ctx`'s library, deciding through `ctx.policy`. */
export function webdavLayer(ctx: DavContext): Layer {
  const { common, policy } = ctx;
  const allow = policy.methods.join(", ");
  const cors = common.some(([k]) => k === "access-control-allow-origin");

  const answer = async (req: Request, path: UrlPath): Promise<Response> => {
    try {
      if (ctx.macFiles !== "keep") {
        let dest: string[] | null = null;
        if (req.method === "COPY" || req.method === "MOVE") {
          dest = parseDestination(req.headers.get("destination"), req.url).segments;
        }
        if (touchesMacMetadata(path.segments, dest)) {
          return await macMetadataAnswer(req, ctx.macFiles, common);
        }
      }
      return await ROUTES[req.method](ctx, req, path);
    } catch (e) {
      const res = davErrorResponse(e, common);
      if (res.status === 405) res.headers.set("allow", allow);
      return res;
    }
  };

  const options = (): Response => {
    const headers: [string, string][] = [
      ...common,
      ["dav", "1, 2"],
      ["ms-author-via", "DAV"],
      ["allow", allow],
      ["content-length", "0"],
    ];
    if (cors) {
      headers.push(["access-control-allow-methods", allow], [
        "access-control-allow-headers",
        DAV_HEADERS,
      ], ["access-control-expose-headers", "dav, lock-token, etag"]);
    }
    return new Response(null, { status: 200, headers });
  };

  return (next: Handler) => (req: Request, peer?: Peer) => {
    const method = req.method;
    // A resumable upload's cancel is plain HTTP's (the access layer took it
    // for part of uploading): it drops a part file, never the file itself.
    if (!DAV_METHODS.has(method) || isUploadCancel(req)) {
      if ((method === "GET" || method === "HEAD") && ctx.macFiles !== "keep") {
        return hideMacReads(req, peer, next);
      }
      return next(req, peer);
    }
    if (method === "OPTIONS") return options();
    if (!policy.methods.includes(method)) {
      return davErrorResponse(new DavError(405, "method not allowed"), [...common, [
        "allow",
        allow,
      ]]);
    }
    let path: UrlPath;
    try {
      if (req.url.includes("#")) throw new Error("a fragment in a request target");
      path = parseUrlPath(rawPathOf(req.url));
    } catch {
      return davErrorResponse(new DavError(400, "bad path"), common);
    }
    // Every method but PROPFIND writes.
    if (method !== "PROPFIND" && !sameOrigin(req.headers.get("origin"), req.url)) {
      return davErrorResponse(new DavError(403, "cross-origin write refused"), common);
    }
    return answer(req, path);
  };

  function hideMacReads(req: Request, peer: Peer | undefined, next: Handler) {
    try {
      if (touchesMacMetadata(parseUrlPath(rawPathOf(req.url)).segments)) {
        return davErrorResponse(new DavError(404, "not found"), common);
      }
    } catch { /* the handler inside refuses bad paths */ }
    return next(req, peer);
  }
}
