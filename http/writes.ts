/**
 * The write methods of `netkit http` as a layer: `PUT` and `PATCH` uploads,
 * `MKCOL` and `DELETE`, each only when switched on (by its switch or by a
 * rule that grants it) and only from the server's own origin (or from no
 * browser at all). Who may write where was decided outside, by the access
 * layer (`access.ts`). Other methods pass to the handler inside.
 *
 * @module
 */

import { handleDelete, handleMkcol } from "./folder_ops.ts";
import type { Layer } from "./handler.ts";
import { reply } from "./plain_text.ts";
import { handleUpload, handleUploadCancel, isUploadCancel } from "./upload.ts";
import { parseUrlPath, rawPathOf } from "./url_path.ts";
import type { WriteContext } from "./write_common.ts";
import { writeMethods } from "./web_options.ts";
import { davErrorResponse } from "./webdav/dav_error.ts";
import { guardWrite } from "./webdav/lock_guard.ts";
import { selfAndParent } from "./webdav/lock_rules.ts";

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

/**
 * The write layer over `ctx`'s library. WebDAV locks, taken through any
 * instance sharing the folder, stop plain writes too: `principalOf` names
 * the sender of a request as a lock records its owner.
 */
export function writesLayer(ctx: WriteContext, principalOf: (req: Request) => string): Layer {
  const allowed = writeMethods(ctx.options);
  const allow = ["GET", "HEAD", ...allowed].join(", ");
  const { common } = ctx;

  const write = async (req: Request, cancel: boolean): Promise<Response> => {
    let path;
    try {
      if (req.url.includes("#")) throw new Error("a fragment in a request target");
      path = parseUrlPath(rawPathOf(req.url));
    } catch {
      return reply(400, "bad path", common);
    }
    const s = path.segments;
    try {
      await guardWrite(ctx.library, req, s, selfAndParent(s), principalOf(req));
    } catch (e) {
      return davErrorResponse(e, common);
    }
    if (req.method === "MKCOL") return handleMkcol(ctx, path);
    if (cancel) return handleUploadCancel(ctx, req, path);
    if (req.method === "DELETE") return handleDelete(ctx, path);
    return handleUpload(ctx, req, path);
  };

  return (next) => (req, peer) => {
    // No write switched on: the handler inside answers 405 like any method it lacks.
    if (!WRITES.has(req.method) || allowed.size === 0) return next(req, peer);
    // Cancelling one's own resumable upload is part of uploading, not a delete.
    const cancel = isUploadCancel(req);
    if (!allowed.has(cancel ? "PUT" : req.method)) {
      return reply(405, "method not allowed", [...common, ["allow", allow]]);
    }
    if (!sameOrigin(req.headers.get("origin"), req.url)) {
      return reply(403, "cross-origin write refused", common);
    }
    return write(req, cancel);
  };
}
