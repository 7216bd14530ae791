/**
 * The root jail's file-system half: the `realPath` containment check that
 * catches symlinks (in the name or any parent folder) leading outside the
 * root, and an open that cannot be raced into following a swapped link.
 *
 * @module
 */

import { NetkitError } from "./errors.ts";
import { isInside, joinInRoot } from "./jail.ts";
import { isNetkitError } from "./errors.ts";

/** How the IO half treats symlinks. */
export interface JailFsOptions {
  /** Follow symlinks whose target lies outside the root. @default false */
  followSymlinks?: boolean;
}

/** A path that passed the jail, with its metadata. */
export interface JailedPath {
  /** The canonical path, after symlinks. */
  real: string;
  /** Metadata of the target (symlinks followed). */
  info: Deno.FileInfo;
}

/**
 * Resolves `root` to its canonical path and checks it is a folder this
 * process can list and enter, so every server refuses an unreadable root at
 * start rather than failing request by request.
 *
 * @throws {NetkitError} `NOT_FOUND` when it is missing or not a folder,
 *   `FORBIDDEN` when it cannot be read
 */
export async function canonicalRoot(root: string): Promise<string> {
  let real: string;
  try {
    real = await Deno.realPath(root);
    if (!(await Deno.stat(real)).isDirectory) {
      throw new NetkitError("NOT_FOUND", `root is not a folder: ${root}`);
    }
    // Listing needs read permission, and opening what is inside needs search
    // (x). Windows opens no folder as a file: there the first request tells.
    if (Deno.build.os !== "windows") {
      (await Deno.open(real, { read: true })).close();
      await Deno.stat(`${real}/.`);
    }
    return real;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new NetkitError("NOT_FOUND", `root does not exist: ${root}`);
    }
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      throw new NetkitError("FORBIDDEN", `root is not readable: ${root} (permission denied)`);
    }
    throw e;
  }
}

/** Maps file-system errors to protocol errors; others pass through. */
export function fsError(e: unknown, what: string): unknown {
  if (isNetkitError(e)) return e;
  if (e instanceof Deno.errors.NotFound) {
    return new NetkitError("NOT_FOUND", `${what}: not found`);
  }
  if (e instanceof Deno.errors.AlreadyExists) {
    return new NetkitError("EXISTS", `${what}: already exists`);
  }
  if (
    e instanceof Deno.errors.PermissionDenied ||
    e instanceof Deno.errors.NotCapable
  ) {
    return new NetkitError("FORBIDDEN", `${what}: permission denied`);
  }
  if (e instanceof Deno.errors.IsADirectory) {
    return new NetkitError("NOT_FOUND", `${what}: not a file`);
  }
  if (
    e instanceof Deno.errors.NotADirectory ||
    e instanceof Deno.errors.FilesystemLoop
  ) {
    return new NetkitError("NOT_FOUND", `${what}: not found`);
  }
  const code = (e as { code?: string })?.code;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new NetkitError("NO_SPACE", `${what}: no space left on the device`);
  }
  if (code === "ENAMETOOLONG") {
    return new NetkitError("INVALID_NAME", `${what}: name too long`);
  }
  if (code === "ENOTDIR" || code === "ELOOP") {
    return new NetkitError("NOT_FOUND", `${what}: not found`);
  }
  return e;
}

/**
 * Resolves checked segments under the canonical `root`, following symlinks,
 * and refuses a target outside the root unless `followSymlinks`.
 *
 * @throws {NetkitError} `NOT_FOUND`, or `FORBIDDEN` for an escaping symlink
 */
export async function resolveInside(
  root: string,
  segments: readonly string[],
  options: JailFsOptions = {},
): Promise<JailedPath> {
  const path = joinInRoot(root, segments);
  try {
    const real = await Deno.realPath(path);
    if (!options.followSymlinks && !isInside(root, real)) {
      throw new NetkitError("FORBIDDEN", "symlink leads outside the root");
    }
    return { real, info: await Deno.stat(real) };
  } catch (e) {
    throw fsError(e, segments.join("/"));
  }
}

/**
 * The synchronous twin of {@linkcode resolveInside}, for hot paths where an
 * async file-system op per request costs more than the syscalls themselves
 * (a `realpath` and a `stat` on a local disk take microseconds).
 *
 * @throws {NetkitError} `NOT_FOUND`, or `FORBIDDEN` for an escaping symlink
 */
export function resolveInsideSync(
  root: string,
  segments: readonly string[],
  options: JailFsOptions = {},
): JailedPath {
  const path = joinInRoot(root, segments);
  try {
    const real = Deno.realPathSync(path);
    if (!options.followSymlinks && !isInside(root, real)) {
      throw new NetkitError("FORBIDDEN", "symlink leads outside the root");
    }
    return { real, info: Deno.statSync(real) };
  } catch (e) {
    throw fsError(e, segments.join("/"));
  }
}

/** A file opened through the jail, with the metadata of the open file. */
export interface OpenedFile {
  file: Deno.FsFile;
  /** Metadata from the open file itself (`fstat`). */
  info: Deno.FileInfo;
  /** The canonical path that was opened. */
  real: string;
}

/**
 * Opens a regular file inside the root for reading. After opening it checks
 * that the open file is the very file the jail approved (same device and
 * inode), so a link swapped in between is refused.
 *
 * Synchronous on purpose, like nginx's `open` and `stat`: on a local disk the
 * three syscalls take microseconds, while each async file-system op is a round
 * trip through Deno's blocking thread pool, a large share of a small
 * download's server CPU. File contents are still read asynchronously.
 *
 * @throws {NetkitError} `NOT_FOUND` (also for folders), `FORBIDDEN`
 */
export function openInside(
  root: string,
  segments: readonly string[],
  options: JailFsOptions = {},
): OpenedFile {
  const what = segments.join("/");
  if (segments.length === 1) {
    // A plain entry directly in the canonical root cannot lead outside it:
    // one lstat replaces the realPath walk (a symlink still takes that walk).
    const path = joinInRoot(root, segments);
    let entry: Deno.FileInfo;
    try {
      entry = Deno.lstatSync(path);
    } catch (e) {
      throw fsError(e, what);
    }
    if (!entry.isSymlink && entry.ino !== null) return openSame(path, entry, what);
  }
  const { real, info } = resolveInsideSync(root, segments, options);
  return openSame(real, info, what);
}

/**
 * Opens the regular file at `path` and checks it is the very file `expected`
 * describes (same device and inode), so a link swapped in since is refused.
 */
function openSame(path: string, expected: Deno.FileInfo, what: string): OpenedFile {
  if (!expected.isFile) throw new NetkitError("NOT_FOUND", `${what}: not a file`);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    throw fsError(e, what);
  }
  try {
    const opened = file.statSync();
    if (
      !opened.isFile ||
      (opened.ino !== null && expected.ino !== null &&
        (opened.ino !== expected.ino || opened.dev !== expected.dev))
    ) {
      throw new NetkitError("FORBIDDEN", "file changed while being opened");
    }
    return { file, info: opened, real: path };
  } catch (e) {
    file.close();
    throw fsError(e, what);
  }
}

/**
 * True when an entry (file, folder or link, not followed) exists at `path`.
 * For create-only writes that want to refuse early, before the atomic
 * commit settles any race.
 *
 * @throws {NetkitError} mapped by {@linkcode fsError} for errors other than "not found"
 */
export async function entryExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw fsError(e, path.slice(path.lastIndexOf("/") + 1));
  }
}
