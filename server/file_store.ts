/**
 * The file library behind `serve-files`, as the file protocol sees it: a
 * flat folder of regular files, reached through the library's door
 * (`core/library/library.ts`), with the digests and ready answers the service keeps
 * in memory. Several processes or hosts may share one library folder:
 * consistency comes from the file system's atomic operations, not from memory.
 *
 * @module
 */

import type { ListEntry } from "../protocol/file/messages.ts";
import type { AtomicFile } from "../core/library/atomic_file.ts";
import type { OpenedFile } from "../core/library/jail_fs.ts";
import { resolveName } from "../core/library/jail.ts";
import { Library } from "../core/library/library.ts";
import { DigestCache } from "./digest_cache.ts";
import { ReplyCache } from "./reply_cache.ts";

/** How a {@linkcode FileStore} treats names. */
export interface FileStoreOptions {
  /** List and accept names that start with a dot. @default false */
  hidden?: boolean;
}

/** A flat library of regular files in one folder. */
export class FileStore {
  /** The door to the folder. */
  readonly library: Library;
  /** Digests of files already hashed. */
  readonly digests = new DigestCache();
  /** Whole answers to small downloads, by file version. */
  readonly replies = new ReplyCache();

  private constructor(library: Library) {
    this.library = library;
  }

  /** The library folder's canonical path. */
  get root(): string {
    return this.library.root;
  }

  /** Opens the library at `root`, which must be an existing folder. */
  static async open(root: string, options: FileStoreOptions = {}): Promise<FileStore> {
    return new FileStore(await Library.open(root, { hidden: options.hidden }));
  }

  /**
   * Checks a client-supplied name: one flat name, no folders.
   *
   * @returns the one checked segment
   * @throws {NetkitError} `INVALID_NAME`
   */
  check(name: string): string {
    return resolveName(name, { hidden: this.library.hidden })[0];
  }

  /**
   * The regular files of the library, sorted by name. Symlinks count when
   * they lead to a regular file inside the library; folders, sockets and
   * anything else are left out.
   */
  async list(): Promise<ListEntry[]> {
    return (await this.library.list([]))
      .filter((e) => e.info.isFile)
      .map(({ name, info }) => ({ name, size: info.size, mtimeMs: info.mtime?.getTime() ?? 0 }));
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
        const info = Deno.lstatSync(this.library.pathOf([this.check(name)]));
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
    if (real === this.library.pathOf([this.check(name)])) {
      this.replies.set(name, hash, info, reply.slice());
    }
  }

  /** Opens a library file for reading; the caller closes it. */
  openRead(name: string): OpenedFile {
    return this.library.openRead([this.check(name)]);
  }

  /**
   * Starts an upload under a temp name; with `resumeSize`, in the resumable
   * part file for that name, size and source `version`, continuing what an
   * earlier attempt left.
   *
   * @throws {NetkitError} `EXISTS` when the name is taken and `overwrite` is
   *   off; `BUSY` when another upload holds the part file
   */
  createUpload(
    name: string,
    overwrite: boolean,
    resumeSize: number | null = null,
    version?: number,
  ): Promise<AtomicFile> {
    return this.library.beginUpload([this.check(name)], {
      overwrite,
      resumeSize: resumeSize ?? undefined,
      version,
    });
  }
}
