/**
 * WebDAV's `PUT`, `MKCOL` and `DELETE` (RFC 4918 sections 9.7, 9.3, 9.6):
 * the same library door and upload path as plain HTTP, with WebDAV's
 * answers. PUT replaces an existing file (201 new, 204 replaced; 405 on a
 * folder; `If-Match` and `If-None-Match` honoured); MKCOL answers 409
 * without a parent, 405 on a taken name, 415 with a body; DELETE removes
 * folders with everything in them, or answers 207 naming the locked
 * members that stop it.
 *
 * @module
 */

import { isNetkitError } from "../../core/errors.ts";
import { evaluate } from "../conditional.ts";
import { handleUpload } from "../upload.ts";
import type { UrlPath } from "../url_path.ts";
import { checkTarget } from "../write_common.ts";
import type { DavContext } from "./context.ts";
import { DavError } from "./dav_error.ts";
import { etagOf } from "./live_props.ts";
import { guardWrite, rootHrefs } from "./lock_guard.ts";
import { blocking, pathKey, selfAndParent } from "./lock_rules.ts";
import { dropLocksUnder } from "./locking.ts";
import { multistatus, statusResponse } from "./multistatus.ts";

/** True when a request carries a body (a length above zero, or chunked). */
function hasBody(req: Request): boolean {
  const length = req.headers.get("content-length");
  if (length !== null) return Number(length) > 0;
  return req.headers.has("transfer-encoding");
}

/** 405 for a method that does not fit what is at the path (the layer adds `Allow`). */
function notAllowed(why: string): DavError {
  return new DavError(405, why);
}

/** Answers PUT: the body replaces the file or creates it. */
export async function handlePut(ctx: DavContext, req: Request, path: UrlPath): Promise<Response> {
  const segments = checkTarget(ctx.writes, path);
  const existing = ctx.library.tryFind(segments);
  if (existing?.info.isDirectory) throw notAllowed("a folder has that name");
  if (existing === null && !ctx.library.tryFind(segments.slice(0, -1))?.info.isDirectory) {
    throw new DavError(409, "the parent folder does not exist");
  }
  const etag = existing ? etagOf(existing.info) : null;
  if (!putPreconditionsHold(req, etag, existing?.info.mtime ?? null)) {
    throw new DavError(412, "precondition failed");
  }
  await guardWrite(
    ctx.library,
    req,
    segments,
    existing ? [{ path: pathKey(segments), tree: false }] : selfAndParent(segments),
    ctx.policy.principalOf(req),
  );
  const writes = {
    ...ctx.writes,
    options: { ...ctx.writes.options, overwrite: true, mkdir: false },
  };
  const res = await handleUpload(writes, req, path);
  if (res.status === 201 && existing !== null) {
    return new Response(null, { status: 204, headers: ctx.common });
  }
  return res;
}

/** `If-Match` and `If-None-Match` for a write: false means 412 (a matching If-None-Match too). */
export function putPreconditionsHold(
  req: Request,
  etag: string | null,
  mtime: Date | null,
): boolean {
  if (etag === null) return req.headers.get("if-match") === null;
  const mtimeSec = mtime === null ? null : Math.floor(mtime.getTime() / 1000);
  const get = (h: string) => h === "if-modified-since" ? null : req.headers.get(h);
  return evaluate(get, { etag, mtimeSec }) === "proceed";
}

/** Answers MKCOL: one new folder. */
export async function handleMkcol(ctx: DavContext, req: Request, path: UrlPath): Promise<Response> {
  if (path.segments.length === 0) throw notAllowed("the root exists");
  const segments = checkTarget(ctx.writes, { ...path, slash: false });
  if (hasBody(req)) {
    await req.body?.cancel().catch(() => {});
    throw new DavError(415, "MKCOL takes no body");
  }
  if (await ctx.library.exists(segments).catch(() => false)) {
    throw notAllowed("the name is taken");
  }
  await guardWrite(
    ctx.library,
    req,
    segments,
    selfAndParent(segments),
    ctx.policy.principalOf(req),
  );
  try {
    await ctx.library.mkdir(segments);
  } catch (e) {
    if (isNetkitError(e, "NOT_FOUND")) throw new DavError(409, "the parent folder does not exist");
    if (isNetkitError(e, "EXISTS")) throw notAllowed("the name is taken");
    throw e;
  }
  return new Response(null, { status: 201, headers: ctx.common });
}

/** Answers DELETE: a file, or a folder with all it holds. */
export async function handleDelete(
  ctx: DavContext,
  req: Request,
  path: UrlPath,
): Promise<Response> {
  if (path.segments.length === 0) throw new DavError(403, "the root cannot be deleted");
  const segments = checkTarget(ctx.writes, { ...path, slash: false });
  // A folder goes with all it holds: `d` everywhere in it.
  if (!ctx.policy.mayTree(req, "delete", segments)) {
    return ctx.policy.refuse(req, "delete", segments);
  }
  const { library } = ctx;
  if (!(await library.exists(segments).catch(() => false))) throw new DavError(404, "not found");
  const principal = ctx.policy.principalOf(req);
  const { live, submitted } = await guardWrite(
    library,
    req,
    segments,
    selfAndParent(segments),
    principal,
  );
  // The locks covering the folder were checked above: what is left are the members' locks.
  const locked = blocking(live, [{ path: pathKey(segments), tree: true }], submitted, principal);
  if (locked.length > 0) {
    return multistatus(
      rootHrefs(library, locked).map((h) => statusResponse(h, 423, "lock-token-submitted")),
      ctx.common,
    );
  }
  await library.remove(segments, true);
  await dropLocksUnder(ctx, segments);
  return new Response(null, { status: 204, headers: ctx.common });
}
