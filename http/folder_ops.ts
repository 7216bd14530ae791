/**
 * `MKCOL` and `DELETE` for `netkit http` (each only when switched on):
 * one new folder whose parent exists, or one file, link or empty folder
 * removed; never recursive, always inside the jail.
 *
 * @module
 */

import { NetkitError } from "../core/errors.ts";
import { fsError } from "../core/jail_fs.ts";
import type { UrlPath } from "./url_path.ts";
import { checkTarget, parentFolder, reply, type WriteContext, writeError } from "./write_common.ts";

/** Answers `MKCOL`: one new folder, its parent must exist. */
export async function handleMkcol(ctx: WriteContext, path: UrlPath): Promise<Response> {
  try {
    const segments = checkTarget(ctx, { ...path, slash: false });
    const dir = await parentFolder(ctx.root, segments, false);
    try {
      await Deno.mkdir(`${dir}/${segments.at(-1)}`);
    } catch (e) {
      throw fsError(e, segments.join("/"));
    }
    return reply(201, `created ${segments.join("/")}/`, ctx.common);
  } catch (e) {
    return writeError(e, ctx.common);
  }
}

/** Answers `DELETE`: a file, a link, or an empty folder (never recursive). */
export async function handleDelete(ctx: WriteContext, path: UrlPath): Promise<Response> {
  try {
    const segments = checkTarget(ctx, { ...path, slash: false });
    const dir = await parentFolder(ctx.root, segments, false);
    try {
      await Deno.remove(`${dir}/${segments.at(-1)}`);
    } catch (e) {
      if ((e as { code?: string })?.code === "ENOTEMPTY") {
        throw new NetkitError("EXISTS", "the folder is not empty");
      }
      throw fsError(e, segments.join("/"));
    }
    return new Response(null, { status: 204, headers: ctx.common });
  } catch (e) {
    return writeError(e, ctx.common);
  }
}
