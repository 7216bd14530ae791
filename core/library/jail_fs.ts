/**
 * The root jail's file-system half: the `realPath` containment check that
 * catches symlinks (in the name or any parent folder) leading outside the
 * root, a walk down a path's folders (making missing ones on request), and
 * an open that cannot be raced into following a swapped link.
 * Each lookup is tried once more when another host's `rename` over the name
 * made it fail for an instant (`stale_handle.ts`).
 *
 * @module
 */

import { NetkitError } from "../errors.ts";
import { checkNewSegment, isInside, joinInRoot } from "./jail.ts";
import { isNetkitError } from "../errors.ts";
import { isRaceWithReplace, isStaleHandle, retryRead, retryReadSync } from "./stale_handle.ts";

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

/** A name in a folder that passed the jail; the name itself may not exist yet. */
export interface Place {
  /** The folder's canonical path. */
  dir: string;
  /** The name in it. */
  name: string;
  /** `dir/name`, a link there not followed. */
  path: string;
  /** The segments the caller gave, joined by `/`, for errors. */
  what: string;
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
  if (isStaleHandle(e)) {
    return new NetkitError("NOT_FOUND", `${what}: replaced or removed meanwhile`);
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
    return await retryRead(async () => {
      const real = await Deno.realPath(path);
      if (!options.followSymlinks && !isInside(root, real)) {
        throw new NetkitError("FORBIDDEN", "symlink leads outside the root");
      }
      return { real, info: await Deno.stat(real) };
    });
  } catch (e) {
    throw fsError(e, segments.join("/"));
  }
}

/**
 * The canonical path of the folder at checked `segments` under `root`,
 * resolved one folder at a time so that each is contained. With `mkdir`, a
 * missing folder is made (its name taking the jail's rules for new names)
 * and resolved again.
 *
 * @throws {NetkitError} `NOT_FOUND` (no such folder), `EXISTS` (a file in
 *   the way), `FORBIDDEN`, `INVALID_NAME`
 */
export async function folderInside(
  root: string,
  segments: readonly string[],
  options: JailFsOptions & { mkdir?: boolean } = {},
): Promise<string> {
  let real = root;
  for (let i = 0; i < segments.length; i++) {
    const upTo = segments.slice(0, i + 1);
    let next: JailedPath;
    try {
      next = await resolveInside(root, upTo, options);
    } catch (e) {
      if (!options.mkdir || !isNetkitError(e, "NOT_FOUND")) {
        throw isNetkitError(e, "NOT_FOUND")
          ? new NetkitError("NOT_FOUND", `${upTo.join("/")}: the folder does not exist`)
          : e;
      }
      checkNewSegment(segments[i]);
      try {
        await Deno.mkdir(`${real}/${segments[i]}`);
      } catch (e2) {
        if (!(e2 instanceof Deno.errors.AlreadyExists)) throw fsError(e2, upTo.join("/"));
      }
      next = await resolveInside(root, upTo, options);
    }
    if (!next.info.isDirectory) {
      throw new NetkitError("EXISTS", `${upTo.join("/")}: not a folder`);
    }
    real = next.real;
  }
  return real;
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
    return retryReadSync(() => {
      const real = Deno.realPathSync(path);
      if (!options.followSymlinks && !isInside(root, real)) {
        throw new NetkitError("FORBIDDEN", "symlink leads outside the root");
      }
      return { real, info: Deno.statSync(real) };
    });
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
 * The lookup and the open are done again, from the start, when they fail
 * as a read racing another host's replacement of the file does (ESTALE,
 * ENOENT) or when the file opened is not the one looked up, a few times at
 * most: each pass checks everything again, so a swapped link is still refused.
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
  try {
    return retryReadSync(
      () => openOnce(root, segments, options),
      (e) => e instanceof Replaced || isRaceWithReplace(e),
      OPEN_PASSES,
    );
  } catch (e) {
    if (e instanceof Replaced) {
      throw new NetkitError("FORBIDDEN", "file changed while being opened");
    }
    throw fsError(e, segments.join("/"));
  }
}

/**
 * Passes of {@linkcode openInside} before a file replaced under it is
 * refused: each pass checks everything again. More than two, as a network
 * file system's cached lookups can lag a replacement made on another host.
 */
const OPEN_PASSES = 4;

/** The file opened is not the one looked up (replaced meanwhile, or a swapped link). */
class Replaced extends Error {}

/** One pass of {@linkcode openInside}; throws what the file system threw. */
function openOnce(root: string, segments: readonly string[], options: JailFsOptions): OpenedFile {
  const what = segments.join("/");
  if (segments.length === 1) {
    // A plain entry directly in the canonical root cannot lead outside it:
    // one lstat replaces the realPath walk (a symlink still takes that walk).
    const path = joinInRoot(root, segments);
    const entry = Deno.lstatSync(path);
    if (!entry.isSymlink && entry.ino !== null) return openSame(path, entry, what);
  }
  const { real, info } = resolveInsideSync(root, segments, options);
  return openSame(real, info, what);
}

/**
 * Opens the regular file at `path` and checks it is the very file `expected`
 * describes (same device and inode), so a link swapped in since is refused.
 * The inode is a hint (Deno rounds it above 2^53, `file_version.ts`); size
 * and times are not compared, as a file may be appended to in place.
 */
function openSame(path: string, expected: Deno.FileInfo, what: string): OpenedFile {
  if (!expected.isFile) throw new NetkitError("NOT_FOUND", `${what}: not a file`);
  const file = Deno.openSync(path, { read: true });
  try {
    const opened = file.statSync();
    if (
      !opened.isFile ||
      (opened.ino !== null && expected.ino !== null &&
        (opened.ino !== expected.ino || opened.dev !== expected.dev))
    ) {
      throw new Replaced();
    }
    return { file, info: opened, real: path };
  } catch (e) {
    file.close();
    throw e;
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
    // ENOENT is the common answer here: only ESTALE is worth a second look.
    await retryRead(() => Deno.lstat(path), isStaleHandle);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw fsError(e, path.slice(path.lastIndexOf("/") + 1));
  }
}
