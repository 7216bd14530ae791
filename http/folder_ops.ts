/**
 * `MKCOL` and `DELETE` for `netkit http` (each only when switched on):
 * one new folder whose parent exists, or one file, link or empty folder
 * removed; never recursive, always through the library's door.
 *
 * @module
 */

import { writeError } from "./error_status.ts";
import { reply } from "./plain_text.ts";
import type { UrlPath } from "./url_path.ts";
import { checkTarget, type WriteContext } from "./write_common.ts";

/** Answers `MKCOL`: one new folder, its parent must exist. */
export async function handleMkcol(ctx: WriteContext, path: UrlPath): Promise<Response> {
  try {
    const segments = checkTarget(ctx, { ...path, slash: false });
    await ctx.library.mkdir(segments);
    return reply(201, `created ${segments.join("/")}/`, ctx.common);
  } catch (e) {
    return writeError(e, ctx.common);
  }
}

/** Answers `DELETE`: a file, a link, or an empty folder (never recursive). */
export async function handleDelete(ctx: WriteContext, path: UrlPath): Promise<Response> {
  try {
    await ctx.library.remove(checkTarget(ctx, { ...path, slash: false }));
    return new Response(null, { status: 204, headers: ctx.common });
  } catch (e) {
    return writeError(e, ctx.common);
  }
}
