/**
 * Local files as the command lines open them: the type is checked before
 * the open, because opening a FIFO blocks until a writer comes (forever, if
 * none does) and a device may do anything. Only regular files are read.
 *
 * @module
 */

import { NetkitError } from "../errors.ts";
import { fsError } from "../library/jail_fs.ts";

/** What an entry is, for messages: "a folder", "a FIFO", ... */
export function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a folder";
  if (info.isFifo) return "a FIFO";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice || info.isBlockDevice) return "a device";
  if (info.isSymlink) return "a symlink";
  return "not a regular file";
}

/** The error for `path`, which is there but not a regular file. */
export function notRegular(path: string, info: Deno.FileInfo): NetkitError {
  const kind = kindOf(info);
  const what = kind.startsWith("not") ? kind : `${kind}, not a regular file`;
  return new NetkitError("NOT_FOUND", `${path}: ${what}`);
}

/**
 * Opens the local regular file at `path` for reading, its type checked
 * first (symlinks followed) and again on the open file.
 *
 * @throws {NetkitError} `NOT_FOUND` (missing, or not a regular file),
 *   `FORBIDDEN` (permission denied)
 */
export async function openLocalFile(
  path: string,
): Promise<{ file: Deno.FsFile; info: Deno.FileInfo }> {
  let file: Deno.FsFile;
  try {
    const before = await Deno.stat(path);
    if (!before.isFile) throw notRegular(path, before);
    file = await Deno.open(path, { read: true });
  } catch (e) {
    throw fsError(e, path);
  }
  try {
    const info = await file.stat();
    if (!info.isFile) throw notRegular(path, info);
    return { file, info };
  } catch (e) {
    file.close();
    throw fsError(e, path);
  }
}

/** Reads a local regular file as text, its type checked before the open. */
export async function readLocalText(path: string): Promise<string> {
  const { file } = await openLocalFile(path);
  try {
    return await new Response(file.readable).text();
  } catch (e) {
    throw fsError(e, path);
  }
}

/**
 * Checks that a file about to be created or reopened for writing at `path`
 * is a regular file if anything is there (a symlink is taken as it leads).
 *
 * @throws {NetkitError} `EXISTS` when something else has the name
 */
export async function checkWritable(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    return; // nothing there (or unreachable: the open will say)
  }
  if (!info.isFile) {
    throw new NetkitError(
      "EXISTS",
      `${path}: ${kindOf(info)} has that name (only a regular file is replaced)`,
    );
  }
}

/**
 * Where a download lands, as `cp` decides: `dest` itself, or `name` inside
 * it when `dest` is an existing folder (or ends with a separator).
 *
 * @param dest the path given, or undefined for `name` in the current folder
 * @param name the local name for the file (already made safe), or undefined
 *   when the remote name gives no safe one
 * @throws {NetkitError} `INVALID_NAME` when a name is needed and there is
 *   none; `NOT_FOUND` for `DIR/` that is not a folder
 */
export async function downloadPath(
  dest: string | undefined,
  name: string | undefined,
): Promise<string> {
  const need = () => {
    if (name === undefined) {
      throw new NetkitError("INVALID_NAME", "the remote name is no safe local name; give DEST");
    }
    return name;
  };
  if (dest === undefined) return need();
  const folder = /[\\/]$/.test(dest);
  let info: Deno.FileInfo | null = null;
  try {
    info = await Deno.stat(dest);
  } catch { /* nothing there: a new file */ }
  if (info?.isDirectory) return `${dest.replace(/[\\/]+$/, "")}/${need()}`;
  if (folder) throw new NetkitError("NOT_FOUND", `${dest}: no such folder`);
  return dest;
}
