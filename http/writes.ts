/**
 * The write methods of `netkit http` as a layer: `PUT` and `PATCH` uploads,
 * `MKCOL` and `DELETE`, each only when switched on, only from the server's
 * own origin (or from no browser at all), and only with credentials. Other
 * methods pass to the handler inside.
 *
 * @module
 */

import type { CredentialGate } from "./credentials.ts";
import { handleDelete, handleMkcol } from "./folder_ops.ts";
import { addressOf, type Layer } from "./handler.ts";
import { reply } from "./plain_text.ts";
import { cancelledUploadSize, handleUpload, handleUploadCancel } from "./upload.ts";
import { parseUrlPath, rawPathOf } from "./url_path.ts";
import type { WriteContext } from "./write_common.ts";

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

/** A `DELETE` naming a resumable upload's size: it cancels that upload. */
function isUploadCancel(req: Request): boolean {
  return req.method === "DELETE" && cancelledUploadSize(req.headers) !== null;
}

/** The methods switched on by `options`. */
export function allowedWrites(
  o: { upload?: boolean; mkdir?: boolean; delete?: boolean },
): Set<string> {
  const allowed = new Set<string>();
  if (o.upload) allowed.add("PUT").add("PATCH");
  if (o.mkdir) allowed.add("MKCOL");
  if (o.delete) allowed.add("DELETE");
  return allowed;
}

/** The write layer over `ctx`'s library; `gate` checks credentials. */
export function writesLayer(ctx: WriteContext, gate: CredentialGate): Layer {
  const allowed = allowedWrites(ctx.options);
  const allow = ["GET", "HEAD", ...allowed].join(", ");
  const { common } = ctx;

  const write = (req: Request): Response | Promise<Response> => {
    let path;
    try {
      path = parseUrlPath(rawPathOf(req.url));
    } catch {
      return reply(400, "bad path", common);
    }
    if (req.method === "MKCOL") return handleMkcol(ctx, path);
    if (isUploadCancel(req)) return handleUploadCancel(ctx, req, path);
    if (req.method === "DELETE") return handleDelete(ctx, path);
    return handleUpload(ctx, req, path);
  };

  return (next) => (req, peer) => {
    // No write switched on: the handler inside answers 405 like any method it lacks.
    if (!WRITES.has(req.method) || allowed.size === 0) return next(req, peer);
    // Cancelling one's own resumable upload is part of uploading, not a delete.
    if (!allowed.has(isUploadCancel(req) ? "PUT" : req.method)) {
      return reply(405, "method not allowed", [...common, ["allow", allow]]);
    }
    if (!sameOrigin(req.headers.get("origin"), req.url)) {
      return reply(403, "cross-origin write refused", common);
    }
    return gate.guard(req, addressOf(peer), () => write(req));
  };
}
