/**
 * The part files of resumable uploads: where each lives, and how idle ones
 * are found and dropped. A part file is named for its upload (a hash of the
 * target name, the whole size and, when the sender gave one, the source's
 * version), sits hidden beside the target, and is locked (`flock`) while an
 * upload writes it, so "idle" means "nobody holds its lock", across
 * processes and hosts sharing the folder.
 *
 * Part files are a cache of broken uploads, never the library's data: they
 * yield whenever the space is needed (see {@linkcode evictIdleParts}), a new
 * version of an upload replaces older ones, and their owner can cancel them.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { INTERNAL_PREFIX } from "./jail.ts";
import { toHex } from "../hash/hash.ts";

/** Prefix of resumable uploads' part files, kept after a broken transfer. */
export const PARTIAL_PREFIX = `${INTERNAL_PREFIX}partial.`;

/** The part-file names of every upload to `name` start with this. */
export function partPrefixOf(name: string): string {
  return `${PARTIAL_PREFIX}${toHex(createHash("sha256").update(name).digest()).slice(0, 32)}.`;
}

/**
 * The part-file name of an upload of `size` bytes to `name`, of the source
 * version `version` (the sender's modification time, in ms) when known.
 */
export function partNameOf(name: string, size: number, version?: number): string {
  return `${partPrefixOf(name)}${size}${version === undefined ? "" : `.v${version}`}`;
}

/** A part file nobody is writing, locked by us until it is removed or let go. */
interface IdlePart {
  path: string;
  mtime: number;
  size: number;
  file: Deno.FsFile;
}

/** Opens and locks the part file at `path` if nobody holds it; null otherwise. */
async function takeIdle(path: string): Promise<IdlePart | null> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true });
  } catch {
    return null; // gone already
  }
  try {
    if (await file.tryLock(true)) {
      const info = await file.stat();
      return { path, file, size: info.size, mtime: info.mtime?.getTime() ?? 0 };
    }
  } catch { /* treat as busy */ }
  file.close();
  return null;
}

/** Removes an idle part file, then lets go of it. */
async function drop(part: IdlePart): Promise<void> {
  try {
    await Deno.remove(part.path);
  } catch { /* removed meanwhile */ }
  part.file.close();
}

/** Part files in `dir` whose names start with `prefix`, except `except`. */
async function partsIn(dir: string, prefix: string, except?: string): Promise<string[]> {
  const paths: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isFile && e.name.startsWith(prefix) && path !== except) paths.push(path);
    }
  } catch { /* an unreadable folder holds nothing we can drop */ }
  return paths;
}

/**
 * Removes part files of `name` in `dir` that nobody is writing, except
 * `keep` (the one about to be used), and, when `size` is given, only those
 * of that size.
 *
 * @returns the removed parts and those left because an upload holds them
 */
export async function dropIdleParts(
  dir: string,
  name: string,
  options: { keep?: string; size?: number } = {},
): Promise<{ removed: number; busy: number }> {
  let removed = 0;
  let busy = 0;
  const sized = options.size === undefined ? null : `${partPrefixOf(name)}${options.size}`;
  for (const path of await partsIn(dir, partPrefixOf(name), options.keep)) {
    const base = path.slice(dir.length + 1);
    if (sized !== null && base !== sized && !base.startsWith(`${sized}.`)) continue;
    const part = await takeIdle(path);
    if (part === null) {
      busy++;
      continue;
    }
    await drop(part);
    removed++;
  }
  return { removed, busy };
}

/**
 * Frees space taken by idle part files in `dirs`, the oldest first, one at a
 * time while `retry` still fails for want of space: part files never hold
 * space the library needs.
 *
 * @param except the part file being written now (never evicted)
 * @param retry tries again what failed; resolves true once it succeeds
 * @returns true when `retry` succeeded
 */
export async function evictIdleParts(
  dirs: Iterable<string>,
  except: string,
  retry: () => Promise<boolean>,
): Promise<boolean> {
  const candidates: { path: string; mtime: number }[] = [];
  for (const dir of new Set(dirs)) {
    for (const path of await partsIn(dir, PARTIAL_PREFIX, except)) {
      try {
        candidates.push({ path, mtime: (await Deno.stat(path)).mtime?.getTime() ?? 0 });
      } catch { /* gone */ }
    }
  }
  candidates.sort((a, b) => a.mtime - b.mtime);
  for (const { path } of candidates) {
    const part = await takeIdle(path);
    if (part === null) continue;
    await drop(part);
    if (await retry()) return true;
  }
  return false;
}
