/**
 * Reading a library folder's servable entries, in batches as `readDir`
 * yields them, each with the metadata of what it leads to. A plain entry of
 * a canonical folder inside the root stays inside it and takes one `lstat`;
 * only a link takes the jail's `realPath` check.
 *
 * @module
 */

import { NetkitError } from "../errors.ts";
import { fsError, type JailedPath, resolveInside } from "./jail_fs.ts";
import { retryRead } from "./stale_handle.ts";

/** One visible entry of a folder, with the metadata of what it leads to. */
export interface LibraryEntry {
  /** The entry's name. */
  name: string;
  /** Metadata of the file or folder (a symlink inside the root is followed). */
  info: Deno.FileInfo;
}

/** What reading a folder needs of its library: the root and its rules. */
export interface FolderRules {
  /** The library's canonical path. */
  readonly root: string;
  /** Symlinks out of the root are followed. */
  readonly followSymlinks: boolean;
  /** True when the entry `name` of the folder `segments` is shown and served. */
  isServable(segments: readonly string[], name: string): boolean;
}

/** Entries stat'ed at once: enough to overlap a network file system's latency. */
const BATCH = 64;

/**
 * The servable entries of the folder `segments`, resolved to `dir`: files and
 * folders only (links inside the root followed; links out of it, sockets,
 * devices and names `rules` refuse left out). Memory stays at one batch.
 */
export async function* folderEntries(
  rules: FolderRules,
  segments: readonly string[],
  dir: JailedPath,
): AsyncGenerator<LibraryEntry[]> {
  if (!dir.info.isDirectory) {
    throw new NetkitError("NOT_FOUND", `${segments.join("/")}: not a folder`);
  }
  let batch: Deno.DirEntry[] = [];
  const flush = async (): Promise<LibraryEntry[]> => {
    const infos = await Promise.all(batch.map((e) => entryInfo(rules, segments, dir.real, e)));
    const out: LibraryEntry[] = [];
    infos.forEach((info, i) => {
      if (info !== null && (info.isFile || info.isDirectory)) {
        out.push({ name: batch[i].name, info });
      }
    });
    batch = [];
    return out;
  };
  try {
    for await (const e of Deno.readDir(dir.real)) {
      if (!rules.isServable(segments, e.name) || !(e.isFile || e.isDirectory || e.isSymlink)) {
        continue;
      }
      batch.push(e);
      if (batch.length >= BATCH) yield await flush();
    }
  } catch (e) {
    throw fsError(e, segments.join("/") || "/");
  }
  if (batch.length > 0) yield await flush();
}

/** The first `limit` entries `batches` yields, sorted by name (code-point order). */
export async function sortedEntries(
  batches: AsyncIterable<LibraryEntry[]>,
  limit: number,
): Promise<LibraryEntry[]> {
  const all: LibraryEntry[] = [];
  for await (const batch of batches) {
    for (const e of batch) {
      if (all.length >= limit) break;
      all.push(e);
    }
    if (all.length >= limit) break;
  }
  return all.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Metadata of one entry of the canonical folder `real`; null when it cannot be served. */
async function entryInfo(
  rules: FolderRules,
  segments: readonly string[],
  real: string,
  e: Deno.DirEntry,
): Promise<Deno.FileInfo | null> {
  try {
    if (!e.isSymlink) return await retryRead(() => Deno.lstat(`${real}/${e.name}`));
    const jail = { followSymlinks: rules.followSymlinks };
    return (await resolveInside(rules.root, [...segments, e.name], jail)).info;
  } catch {
    return null;
  }
}
