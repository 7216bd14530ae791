/**
 * `COPY` and `MOVE` (RFC 4918 sections 9.8 and 9.9) through the library's
 * door: a MOVE is a rename (atomic for a file), a COPY lands under its name
 * in one step, and dead properties travel with both. The `Destination` is
 * jailed exactly like a request path: its raw path goes through the same
 * strict decode (never the URL parser's dot-segment removal), and a
 * destination on another host is refused with 502.
 *
 * @module
 */

import { isNetkitError } from "../../core/errors.ts";
import { parseUrlPath, rawPathOf, type UrlPath } from "../url_path.ts";
import { checkTarget } from "../write_common.ts";
import { type DavContext, type Depth, parseDepth, parseOverwrite } from "./context.ts";
import { DavError } from "./dav_error.ts";
import { guardWrite } from "./lock_guard.ts";
import { pathKey, type Protected } from "./lock_rules.ts";
import { dropLocksUnder } from "./locking.ts";

/**
 * The destination of a COPY or MOVE: an absolute path, or an absolute URL
 * on this very host and scheme.
 *
 * @throws {DavError} 400 for a missing or malformed header or a path the
 *   jail refuses, 502 for another host
 */
export function parseDestination(header: string | null, requestUrl: string): UrlPath {
  const value = header?.trim() ?? "";
  if (value === "") throw new DavError(400, "Destination is required");
  let raw: string;
  if (value.startsWith("/")) {
    if (value.startsWith("//")) throw new DavError(502, "the destination is on another server");
    raw = rawPathOf(value);
  } else {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new DavError(400, "bad Destination");
    }
    const here = new URL(requestUrl);
    if (url.protocol !== here.protocol || url.host.toLowerCase() !== here.host.toLowerCase()) {
      throw new DavError(502, "the destination is on another server");
    }
    raw = rawPathOf(value); // as sent: the URL parser would resolve encoded dots
  }
  try {
    return parseUrlPath(raw);
  } catch {
    throw new DavError(400, "the destination path is refused");
  }
}

/**
 * The rules' answer to a COPY or MOVE, or null when it may go on: the whole
 * tree needs `w` where it lands (and what it replaces may be replaced); a
 * MOVE takes all of its source away (`d`), a COPY of a tree reads all of it
 * (`r`; the access layer checked the source itself).
 */
function refusal(
  ctx: DavContext,
  req: Request,
  from: readonly string[],
  to: readonly string[],
  o: { move: boolean; depth: Depth; overwrite: boolean },
): Response | null {
  const { policy } = ctx;
  if (!policy.mayTree(req, "write", to)) return policy.refuse(req, "write", to);
  if (o.overwrite && ctx.library.tryFind(to) !== null && !policy.mayReplace(req, to)) {
    return policy.refuse(req, "delete", to);
  }
  if (o.move && !policy.mayTree(req, "delete", from)) return policy.refuse(req, "delete", from);
  if (!o.move && o.depth !== 0 && !policy.mayTree(req, "read", from)) {
    return policy.refuse(req, "read", from);
  }
  return null;
}

/** Answers COPY (`move` false) or MOVE (`move` true) of `path`. */
export async function handleCopyMove(
  ctx: DavContext,
  req: Request,
  path: UrlPath,
  move: boolean,
): Promise<Response> {
  const { library } = ctx;
  const from = path.segments;
  if (from.length === 0) throw new DavError(403, "the root cannot be copied or moved");
  const dest = parseDestination(req.headers.get("destination"), req.url);
  if (dest.segments.length === 0) throw new DavError(403, "the root cannot be replaced");
  const to = checkTarget(ctx.writes, { ...dest, slash: false });
  const overwrite = parseOverwrite(req.headers.get("overwrite"));
  const depth = parseDepth(req.headers.get("depth"), "infinity");
  if (depth === 1) throw new DavError(400, "Depth must be 0 or infinity");
  const refused = refusal(ctx, req, from, to, { move, depth, overwrite });
  if (refused) return refused;
  const src = library.tryFind(from);
  if (src === null && !(await library.exists(from).catch(() => false))) {
    throw new DavError(404, "not found");
  }
  if (move && depth !== "infinity" && src?.info.isDirectory) {
    throw new DavError(400, "a folder moves with Depth: infinity");
  }
  if (!library.tryFind(to.slice(0, -1))?.info.isDirectory) {
    throw new DavError(409, "the destination folder does not exist");
  }
  const targets: Protected[] = [
    { path: pathKey(to), tree: true },
    { path: pathKey(to.slice(0, -1)), tree: false },
  ];
  if (move) {
    targets.push({ path: pathKey(from), tree: true }, {
      path: pathKey(from.slice(0, -1)),
      tree: false,
    });
  }
  await guardWrite(library, req, from, targets, ctx.policy.principalOf(req));
  let replaced: boolean;
  try {
    replaced = move
      ? await library.move(from, to, { overwrite })
      : await library.copy(from, to, { overwrite, depth });
  } catch (e) {
    if (isNetkitError(e, "EXISTS")) throw new DavError(412, "the destination exists");
    if (isNetkitError(e, "NOT_FOUND")) {
      throw new DavError(409, "the destination folder does not exist");
    }
    throw e;
  }
  if (move) await dropLocksUnder(ctx, from);
  return new Response(null, { status: replaced ? 204 : 201, headers: ctx.common });
}
