/**
 * The file library behind `serve-files`: lists regular files, opens them for
 * reading and creates uploads, all through the root jail and the atomic write
 * path. Several processes or hosts may share one library folder: consistency
 * comes from the file system's atomic operations, not from memory.
 *
 * @module
 */

import type { ListEntry } from "../protocol/messages.ts";
import { NetkitError } from "../protocol/errors.ts";
import { AtomicFile } from "./atomic_write.ts";
import { DigestCache } from "./digest_cache.ts";
import { isVisibleName, resolveName } from "./jail.ts";
import { canonicalRoot, entryExists, fsError, openInside, resolveInside } from "./jail_fs.ts";

/** How a {@linkcode FileStore} treats names. */
export interface FileStoreOptions {
  /** List and accept names that start with a dot. @default false */
  hidden?: boolean;
}

/** A flat library of regular files in one folder. */
export class FileStore {
  /** The library folder's canonical path. */
  readonly root: string;
  /** Digests of files already hashed. */
  readonly digests = new DigestCache();
  readonly #hidden: boolean;

  private constructor(root: string, hidden: boolean) {
    this.root = root;
    this.#hidden = hidden;
  }

  /** Opens the library at `root`, which must be an existing folder. */
  static async open(
    root: string,
    options: FileStoreOptions = {},
  ): Promise<FileStore> {
    return new FileStore(await canonicalRoot(root), options.hidden ?? false);
  }

  /**
   * Checks a client-supplied name.
   *
   * @returns the one checked segment
   * @throws {NetkitError} `INVALID_NAME`
   */
  check(name: string): string {
    return resolveName(name, { hidden: this.#hidden })[0];
  }

  /**
   * The regular files of the library, sorted by name. Symlinks count when
   * they lead to a regular file inside the library; folders, sockets and
   * anything else are left out.
   */
  async list(): Promise<ListEntry[]> {
    const names: string[] = [];
    for await (const e of Deno.readDir(this.root)) {
      if ((e.isFile || e.isSymlink) && isVisibleName(e.name, this.#hidden)) {
        names.push(e.name);
      }
    }
    const entries: ListEntry[] = [];
    const BATCH = 64;
    for (let i = 0; i < names.length; i += BATCH) {
      const infos = await Promise.all(
        names.slice(i, i + BATCH).map((n) =>
          resolveInside(this.root, [n]).then((p) => p.info, () => null)
        ),
      );
      infos.forEach((info, j) => {
        if (info?.isFile) {
          entries.push({
            name: names[i + j],
            size: info.size,
            mtimeMs: info.mtime?.getTime() ?? 0,
          });
        }
      });
    }
    return entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  /** Opens a library file for reading; the caller closes it. */
  async openRead(
    name: string,
  ): Promise<{ file: Deno.FsFile; info: Deno.FileInfo; real: string }> {
    const checked = this.check(name);
    const path = `${this.root}/${checked}`;
    let entry: Deno.FileInfo;
    try {
      entry = await Deno.lstat(path);
    } catch (e) {
      throw fsError(e, checked);
    }
    // A symlink may lead anywhere: the full realPath check. A plain entry of a
    // flat name in the canonical root cannot leave it: one lstat is enough,
    // and the inode check after opening catches a link swapped in between.
    if (entry.isSymlink || entry.ino === null) return openInside(this.root, [checked]);
    if (!entry.isFile) throw new NetkitError("NOT_FOUND", `${checked}: not a file`);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch (e) {
      throw fsError(e, checked);
    }
    try {
      const info = await file.stat();
      if (info.ino !== entry.ino || info.dev !== entry.dev || !info.isFile) {
        throw new NetkitError("FORBIDDEN", `${checked}: file changed while being opened`);
      }
      return { file, info, real: path };
    } catch (e) {
      file.close();
      throw fsError(e, checked);
    }
  }

  /** True when an entry of that name exists (file, folder or link). */
  exists(name: string): Promise<boolean> {
    return entryExists(`${this.root}/${this.check(name)}`);
  }

  /**
   * Starts an upload under a temp name; with `resumeSize`, in the resumable
   * part file for that name and size, continuing what an earlier attempt left.
   *
   * @throws {NetkitError} `EXISTS` when the name is taken and `overwrite` is
   *   off; `BUSY` when another upload holds the part file
   */
  async createUpload(
    name: string,
    overwrite: boolean,
    resumeSize: number | null = null,
  ): Promise<AtomicFile> {
    const checked = this.check(name);
    if (!overwrite && await this.exists(checked)) {
      throw new NetkitError("EXISTS", `${checked}: already exists`);
    }
    return resumeSize === null
      ? AtomicFile.create(this.root, checked)
      : AtomicFile.resumable(this.root, checked, resumeSize);
  }
}
