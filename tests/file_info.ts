/**
 * A made-up `Deno.FileInfo` for tests of caches keyed by a file's version.
 *
 * @module
 */

/** The fields a file's version is made of (`core/file_version.ts`). */
export interface FakeVersion {
  ino: number | null;
  size: number;
  mtimeMs: number;
  /** @default mtimeMs */
  ctimeMs?: number;
  /** @default 1 */
  dev?: number;
}

/** A regular file's metadata with the given version; the other fields are plain defaults. */
export function fileInfo(v: FakeVersion): Deno.FileInfo {
  return {
    isFile: true,
    isDirectory: false,
    isSymlink: false,
    size: v.size,
    mtime: new Date(v.mtimeMs),
    atime: null,
    birthtime: null,
    ctime: new Date(v.ctimeMs ?? v.mtimeMs),
    dev: v.dev ?? 1,
    ino: v.ino,
    mode: 0o644,
    nlink: 1,
    uid: 0,
    gid: 0,
    rdev: 0,
    blksize: 4096,
    blocks: 1,
    isBlockDevice: false,
    isCharDevice: false,
    isFifo: false,
    isSocket: false,
  };
}
