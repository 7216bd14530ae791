/**
 * The file library behind `serve-files`: lists regular files, opens them for
 * reading and creates uploads, all through the root jail and the atomic write
 * path. Several processes or hosts may share one library folder: consistency
 * comes from the file system's atomic operations, not from memory.
 *
 * @module
 */

import type { ListEntry } from "../protocol/file/messages.ts";
import { NetkitError } from "../core/errors.ts";
import { AtomicFile } from "../core/atomic_file.ts";
import { DigestCache } from "./digest_cache.ts";
import { ReplyCache } from "./reply_cache.ts";
import { isVisibleName, resolveName } from "../core/jail.ts";
import {
  canonicalRoot,
  entryExists,
  type OpenedFile,
  openInside,
  resolveInside,
} from "../core/jail_fs.ts";

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
  /** Whole answers to small downloads, by file version. */
  readonly replies = new ReplyCache();
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
    // Plain files need one lstat; only symlinks take the realPath check.
    const names: { name: string; link: boolean }[] = [];
    for await (const e of Deno.readDir(this.root)) {
      if ((e.isFile || e.isSymlink) && isVisibleName(e.name, this.#hidden)) {
        names.push({ name: e.name, link: e.isSymlink });
      }
    }
    const entries: ListEntry[] = [];
    const BATCH = 64;
    for (let i = 0; i < names.length; i += BATCH) {
      const infos = await Promise.all(
        names.slice(i, i + BATCH).map(({ name, link }) =>
          (link
            ? resolveInside(this.root, [name]).then((p) => p.info)
            : Deno.lstat(`${this.root}/${name}`)).catch(() => null)
        ),
      );
      infos.forEach((info, j) => {
        if (info?.isFile) {
          entries.push({
            name: names[i + j].name,
            size: info.size,
            mtimeMs: info.mtime?.getTime() ?? 0,
          });
        }
      });
    }
    return entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  /**
   * The ready answer to a whole-file GET of `name` under `hash`, when one was
   * kept for the file as it is now (one `lstat`, only when an answer is kept
   * for that name at all); null sends the caller down the normal path, which
   * also reports bad names and missing files.
   */
  cachedReply(name: string, hash: string): { reply: Uint8Array; size: number } | null {
    let size = 0;
    const reply = this.replies.get(name, hash, () => {
      try {
        const info = Deno.lstatSync(`${this.root}/${this.check(name)}`);
        size = info.size;
        return info.isFile ? info : null; // symlinks take the jail's realPath check every time
      } catch {
        return null;
      }
    });
    return reply === null ? null : { reply, size };
  }

  /**
   * Keeps a copy of the answer just sent for `name`, when it was read from
   * the plain file at that name (`real` is where {@linkcode openRead} opened
   * it); `reply` itself stays the caller's.
   */
  keepReply(
    name: string,
    real: string,
    hash: string,
    info: Deno.FileInfo,
    reply: Uint8Array,
  ): void {
    if (real === `${this.root}/${this.check(name)}`) {
      this.replies.set(name, hash, info, reply.slice());
    }
  }

  /** Opens a library file for reading; the caller closes it. */
  openRead(name: string): OpenedFile {
    return openInside(this.root, [this.check(name)]);
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
