/**
 * The file-system steps that move, copy and remove entries of a library in
 * place, on canonical paths the library's door (`Library`) has already
 * checked. Each step uses the file system's atomic operations, so no reader
 * on any host sharing the folder sees an entry half moved, half copied or
 * half gone: a free name is taken create-only (`link` for a file, `rename`
 * for a folder), an entry that one `rename` cannot replace, or a tree removed
 * whole, first steps aside under a temp name, and a copy is flushed to disk
 * before it appears.
 *
 * @module
 */

import { NetkitError } from "../errors.ts";
import { fsError, type Place } from "./jail_fs.ts";
import { AtomicFile, syncDir } from "./atomic_file.ts";
import { tempName } from "./temp_files.ts";
import type { DeadPropStore } from "./dead_props.ts";

/** Options of `Library.move` and `Library.copy`. */
export interface TransferOptions {
  /** Replace what is at the destination. @default false */
  overwrite?: boolean;
}

/** Options of `Library.copy`. */
export interface CopyOptions extends TransferOptions {
  /** A folder with its whole tree (`"infinity"`), or the folder alone (0). @default "infinity" */
  depth?: 0 | "infinity";
}

/** The entry a move or copy starts from, with its metadata (not followed). */
export interface Source extends Place {
  info: Deno.FileInfo;
}

/**
 * Removes the entry at `at`: a file, a link, an empty folder, or with
 * `recursive` a whole tree, which leaves its name in one step (set aside,
 * then emptied). A folder kept from being empty only by the dead properties
 * of entries long gone is removed too.
 *
 * @throws {NetkitError} `NOT_FOUND`; `EXISTS` for a folder that is not empty
 *   without `recursive`
 */
export async function removeEntry(
  at: Place,
  recursive: boolean,
  props: DeadPropStore,
): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(at.path);
  } catch (e) {
    throw fsError(e, at.what);
  }
  if (info.isDirectory && recursive) {
    await removeTree(await setAside(at));
    return;
  }
  try {
    await Deno.remove(at.path);
  } catch (e) {
    if ((e as { code?: string })?.code !== "ENOTEMPTY") throw fsError(e, at.what);
    if (!(await props.clearIfOnlyEntry(at.path))) {
      throw new NetkitError("EXISTS", `${at.what}: the folder is not empty`);
    }
    await Deno.remove(at.path).catch((e2) => {
      throw fsError(e2, at.what);
    });
  }
}

/**
 * Moves `src` to `dst` without copying. A `taken` name (something there, to
 * be replaced) is taken by `rename`, a folder on either side stepping aside
 * first; a free name is taken create-only, by `link` then unlink (files) or
 * `rename` (folders), so that of two racing moves to one name exactly one
 * wins.
 *
 * @throws {NetkitError} `EXISTS` when a free name was taken meanwhile
 */
export async function moveEntry(src: Source, dst: Place, taken: boolean): Promise<void> {
  try {
    if (taken && !src.info.isDirectory && !(await Deno.lstat(dst.path)).isDirectory) {
      await Deno.rename(src.path, dst.path); // a file over a file: replaced in one step
    } else if (taken) {
      await replaceWith(src.path, dst); // a folder on either side
    } else if (src.info.isDirectory) {
      await renameFolderCreateOnly(src.path, dst);
    } else {
      await linkCreateOnly(src.path, dst);
      await Deno.remove(src.path);
    }
  } catch (e) {
    throw fsError(e, dst.what);
  }
}

/**
 * Copies `src` to `dst`: the bytes (a folder's whole tree, unless `depth` is
 * 0) go to a temp entry in the destination's folder, are flushed to disk,
 * and appear under the name in one step, replacing what is there when
 * `taken`, create-only unless `overwrite`.
 *
 * @throws {NetkitError} `EXISTS` when a free name was taken meanwhile
 */
export async function copyEntry(
  src: Source,
  dst: Place,
  taken: boolean,
  options: CopyOptions = {},
): Promise<void> {
  if (!src.info.isDirectory) {
    await using up = await AtomicFile.create(dst.dir, dst.name, {
      overwrite: options.overwrite ?? false,
    });
    try {
      await Deno.copyFile(src.path, up.tempPath);
    } catch (e) {
      throw fsError(e, dst.what);
    }
    if (taken && (await Deno.lstat(dst.path).catch(() => null))?.isDirectory) {
      await removeTree(await setAside(dst));
    }
    await up.commit();
    return;
  }
  const temp = `${dst.dir}/${tempName()}`;
  try {
    await Deno.mkdir(temp);
    if (options.depth !== 0) await copyTree(src.path, temp);
    await syncDir(temp);
    if (taken) await replaceWith(temp, dst);
    else await renameFolderCreateOnly(temp, dst);
    await syncDir(dst.dir);
  } catch (e) {
    await removeTree(temp);
    throw fsError(e, dst.what);
  }
}

/**
 * Puts `from` at the taken place `to`: what is there steps aside, then goes.
 * If `from` cannot take the name, what stepped aside is put back.
 */
async function replaceWith(from: string, to: Place): Promise<void> {
  const aside = await setAside(to);
  try {
    await Deno.rename(from, to.path);
  } catch (e) {
    // Back under its name, unless another writer took it meanwhile (then the sweep has it).
    await Deno.rename(aside, to.path).catch(() => {});
    throw e;
  }
  await removeTree(aside);
}

/** Renames the entry at `at` to a temp name in its folder, out of everyone's sight. */
async function setAside(at: Place): Promise<string> {
  const aside = `${at.dir}/${tempName()}`;
  try {
    await Deno.rename(at.path, aside);
  } catch (e) {
    throw fsError(e, at.what);
  }
  return aside;
}

/**
 * Renames the folder `from` to the free place `to` in one step. A file or a
 * folder with entries that took the name meanwhile makes it fail `EXISTS`;
 * an empty folder made there in that instant is replaced (POSIX `rename`
 * allows that, and Deno offers no `RENAME_NOREPLACE`): nothing is lost, and
 * no reader ever sees the tree half there.
 */
async function renameFolderCreateOnly(from: string, to: Place): Promise<void> {
  try {
    await Deno.rename(from, to.path);
  } catch (e) {
    const code = (e as { code?: string })?.code;
    if (
      e instanceof Deno.errors.AlreadyExists || e instanceof Deno.errors.NotADirectory ||
      code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOTDIR"
    ) {
      throw new NetkitError("EXISTS", `${to.what}: already exists`);
    }
    throw e;
  }
}

/** Links `target` at `to`, failing `EXISTS` when the name is taken (atomic, across hosts too). */
async function linkCreateOnly(target: string, to: Place): Promise<void> {
  try {
    await Deno.link(target, to.path);
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      throw new NetkitError("EXISTS", `${to.what}: already exists`);
    }
    throw e;
  }
}

/** Removes a tree set aside under a temp name; what cannot go is swept later. */
async function removeTree(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

/** Copies the contents of folder `from` into the empty folder `to`, flushing every file. */
async function copyTree(from: string, to: string): Promise<void> {
  for await (const e of Deno.readDir(from)) {
    const src = `${from}/${e.name}`;
    const dst = `${to}/${e.name}`;
    if (e.isDirectory) {
      await Deno.mkdir(dst);
      await copyTree(src, dst);
      await syncDir(dst);
    } else if (e.isSymlink) {
      await Deno.symlink(await Deno.readLink(src), dst);
    } else if (e.isFile) {
      await Deno.copyFile(src, dst);
      using f = await Deno.open(dst, { read: true, write: true });
      await f.sync();
    }
  }
}
