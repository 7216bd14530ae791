/**
 * One version of one file, as far as its metadata can tell, for caches
 * that must never answer with another version's bytes or digest.
 *
 * `Deno.FileInfo.ino` is a JavaScript number: inodes above 2^53 are
 * rounded, and GlusterFS inodes use all 64 bits (they come from the file's
 * 128-bit GFID), so two files can share a rounded `ino`. It is a hint,
 * never a key on its own: a version joins it with the device, the size, the
 * modification time (ms) and the change time. A new file published over an
 * old one (netkit's uploads always make a new file) differs in all of them
 * but by a fluke in the size; a collision needs equal sizes, equal times to
 * the millisecond and inodes within a rounding step of each other.
 *
 * @module
 */

/** The metadata that names one version of a file. */
export interface FileVersion {
  dev: number;
  /** A hint: rounded above 2^53. */
  ino: number | null;
  size: number;
  mtimeMs: number | null;
  ctimeMs: number | null;
}

/** The version `info` describes. */
export function versionOf(info: Deno.FileInfo): FileVersion {
  return {
    dev: info.dev,
    ino: info.ino,
    size: info.size,
    mtimeMs: info.mtime?.getTime() ?? null,
    ctimeMs: info.ctime?.getTime() ?? null,
  };
}

/** True when `info` still describes the version `v`. */
export function isVersion(v: FileVersion, info: Deno.FileInfo): boolean {
  return v.size === info.size && v.ino === info.ino && v.dev === info.dev &&
    v.mtimeMs === (info.mtime?.getTime() ?? null) &&
    v.ctimeMs === (info.ctime?.getTime() ?? null);
}

/**
 * A string naming the version `info` describes, for use as a cache key;
 * null when the platform reports no inode or no modification time (then
 * nothing may be cached by version).
 */
export function versionKey(info: Deno.FileInfo): string | null {
  if (info.ino === null || info.mtime === null) return null;
  return `${info.dev}:${info.ino}:${info.size}:${info.mtime.getTime()}:${
    info.ctime?.getTime() ?? 0
  }`;
}
