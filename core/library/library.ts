/**
 * The one door to a served folder. Every service (the file service, HTTP,
 * WebDAV, TFTP) reaches the library through a {@linkcode Library}: names are
 * checked by the jail, paths resolved with symlinks contained, files opened
 * with the checked open, and every change made with the file system's atomic
 * operations (exclusive create, `link`, `rename` in one folder, `fsync`), so
 * several processes or hosts sharing the folder stay consistent without any
 * lock in memory.
 *
 * Callers pass path segments: each protocol parses its own syntax (a URL
 * path, a TFTP file name, a flat name) into segments first; the door checks
 * them again, so no caller can reach outside the root by mistake. The door
 * resolves names to canonical places; the work done there lives beside it:
 * `entry_moves.ts` (move, copy, remove), `uploads.ts`, `folder_entries.ts`
 * (listings) and `dead_props.ts`.
 *
 * @module
 */

import { NetkitError } from "../errors.ts";
import { acceptsName, checkNewSegment, isInside, joinInRoot, resolveName } from "./jail.ts";
import {
  canonicalRoot,
  entryExists,
  folderInside,
  fsError,
  type JailedPath,
  type JailFsOptions,
  type OpenedFile,
  openInside,
  type Place,
  resolveInside,
  resolveInsideSync,
} from "./jail_fs.ts";
import type { AtomicFile } from "./atomic_file.ts";
import { cleanStaleTemps } from "./temp_files.ts";
import { folderEntries, type LibraryEntry, sortedEntries } from "./folder_entries.ts";
import { type DeadProp, DeadPropStore } from "./dead_props.ts";
import {
  copyEntry,
  type CopyOptions,
  moveEntry,
  removeEntry,
  type Source,
  type TransferOptions,
} from "./entry_moves.ts";
import { LOCKS_DIR, LockStore } from "./lock_store.ts";
import { type UploadOptions, Uploads } from "./uploads.ts";

/** How a {@linkcode Library} treats names and links. */
export interface LibraryOptions {
  /** Accept and list names that start with a dot. @default false */
  hidden?: boolean;
  /** Follow symlinks whose target lies outside the root. @default false */
  followSymlinks?: boolean;
  /**
   * How often a folder that receives uploads is swept of abandoned temp and
   * part files, at most, in ms. @default 600000 (10 minutes)
   */
  sweepEveryMs?: number;
  /** The clock of WebDAV lock timeouts, ms. @default Date.now */
  now?: () => number;
}

/** A path that passed the jail: its segments, canonical path and metadata. */
export interface Found extends JailedPath {
  /** The checked segments under the root. */
  segments: readonly string[];
}

export type { CopyOptions, LibraryEntry, TransferOptions, UploadOptions };

/** The library folder, and the only way services read or change it. */
export class Library {
  /** The folder's canonical path. */
  readonly root: string;
  /** Dot-names are listed and accepted. */
  readonly hidden: boolean;
  /** Symlinks out of the root are followed. */
  readonly followSymlinks: boolean;
  /** WebDAV write locks, seen by every instance sharing the folder. */
  readonly locks: LockStore;
  readonly #jail: JailFsOptions;
  readonly #uploads: Uploads;
  readonly #props = new DeadPropStore();

  private constructor(root: string, options: LibraryOptions) {
    this.root = root;
    this.hidden = options.hidden ?? false;
    this.followSymlinks = options.followSymlinks ?? false;
    this.#jail = { followSymlinks: this.followSymlinks };
    this.#uploads = new Uploads(root, options.sweepEveryMs ?? 10 * 60_000);
    this.locks = new LockStore(`${root}/${LOCKS_DIR}`, options.now);
  }

  /**
   * Opens the library at `root`, which must be an existing folder.
   *
   * @throws {NetkitError} `NOT_FOUND` when it is missing or not a folder
   */
  static async open(root: string, options: LibraryOptions = {}): Promise<Library> {
    return new Library(await canonicalRoot(root), options);
  }

  /** Checks segments against the jail's rules and the hidden rule (`INVALID_NAME` if not). */
  check(segments: readonly string[]): readonly string[] {
    if (segments.length === 0) return segments;
    const checked = resolveName(segments.join("/"), { subdirs: true, hidden: this.hidden });
    if (checked.length !== segments.length) {
      throw new NetkitError("INVALID_NAME", "name contains a slash");
    }
    return segments;
  }

  /**
   * True when the entry `name` of the folder `segments` is shown and served:
   * its path passes the jail as {@linkcode check} would (not hidden unless
   * `hidden`, not netkit's own, no control character, backslash, drive
   * letter or percent-encoded trick, not too long). Listings and archives
   * leave out what this refuses: no service shows a name it would refuse.
   */
  isServable(segments: readonly string[], name: string): boolean {
    return acceptsName([...segments, name].join("/"), { subdirs: true, hidden: this.hidden });
  }

  /** The path of `segments` under the root as written (links not followed). */
  pathOf(segments: readonly string[]): string {
    return joinInRoot(this.root, this.check(segments));
  }

  /**
   * Resolves `segments` (links followed, and contained unless
   * `followSymlinks`). Synchronous: on a local disk a `realpath` and a
   * `stat` cost less than an async op's hop through Deno's thread pool.
   *
   * @throws {NetkitError} `NOT_FOUND`, `FORBIDDEN` (a link out of the root), `INVALID_NAME`
   */
  find(segments: readonly string[]): Found {
    const found = resolveInsideSync(this.root, this.check(segments), this.#jail);
    return { segments, ...found };
  }

  /** {@linkcode find}, or null for anything it would refuse. */
  tryFind(segments: readonly string[]): Found | null {
    try {
      return this.find(segments);
    } catch {
      return null;
    }
  }

  /** The asynchronous twin of {@linkcode find}, for paths on slow file systems. */
  async stat(segments: readonly string[]): Promise<Found> {
    const found = await resolveInside(this.root, this.check(segments), this.#jail);
    return { segments, ...found };
  }

  /**
   * Opens a regular file for reading, checking that the open file is the one
   * the jail approved (a link swapped in meanwhile is refused); the caller
   * closes it.
   *
   * @throws {NetkitError} `NOT_FOUND` (also for folders), `FORBIDDEN`, `INVALID_NAME`
   */
  openRead(segments: readonly string[]): OpenedFile {
    return openInside(this.root, this.check(segments), this.#jail);
  }

  /** True when an entry (file, folder or link, not followed) has that name. */
  async exists(segments: readonly string[]): Promise<boolean> {
    return await entryExists((await this.#place(segments)).path);
  }

  /**
   * The servable entries of a folder (files and folders, see
   * {@linkcode isServable}), in batches as they are read: memory stays at
   * one batch.
   *
   * @throws {NetkitError} `NOT_FOUND` when `segments` is not a folder
   */
  async *entries(segments: readonly string[]): AsyncGenerator<LibraryEntry[]> {
    yield* folderEntries(this, segments, await this.stat(segments));
  }

  /**
   * The servable entries of a folder sorted by name (code-point order), at
   * most `limit` of them.
   *
   * @throws {NetkitError} `NOT_FOUND` when `segments` is not a folder
   */
  async list(segments: readonly string[], limit = Infinity): Promise<LibraryEntry[]> {
    return await sortedEntries(this.entries(segments), limit);
  }

  /**
   * Begins an upload to `segments`: nothing appears under the name until
   * `commit` publishes the flushed bytes in one step, create-only unless
   * `overwrite` (of racing uploads, across hosts too, exactly one wins).
   *
   * @throws {NetkitError} `EXISTS` when the name is taken and `overwrite` is
   *   off; `NOT_FOUND` when the folder does not exist (and `mkdir` is off);
   *   `BUSY` when another upload holds the part file
   */
  async beginUpload(segments: readonly string[], options: UploadOptions = {}): Promise<AtomicFile> {
    return await this.#uploads.begin(await this.#place(segments, options.mkdir, true), options);
  }

  /**
   * How many bytes a broken resumable upload of `size` bytes to `segments`
   * left (0 when none), read without creating or locking anything.
   *
   * @throws {NetkitError} as {@linkcode beginUpload} would, before any byte
   */
  async heldBytes(
    segments: readonly string[],
    size: number,
    options: Pick<UploadOptions, "overwrite" | "version"> = {},
  ): Promise<number> {
    return await this.#uploads.heldBytes(await this.#place(segments), size, options);
  }

  /**
   * Cancels broken resumable uploads to `segments`: their part files go, of
   * every size, or only of `size` when given.
   *
   * @returns how many part files were removed
   * @throws {NetkitError} `NOT_FOUND` when there is none; `BUSY` when an
   *   upload is writing one now
   */
  async cancelUpload(segments: readonly string[], size?: number): Promise<number> {
    return await this.#uploads.cancel(await this.#place(segments), size);
  }

  /**
   * Makes a folder; with `parents`, the missing folders above it too.
   *
   * @throws {NetkitError} `EXISTS` when the name is taken, `NOT_FOUND` without a parent
   */
  async mkdir(segments: readonly string[], parents = false): Promise<void> {
    if (segments.length === 0) throw new NetkitError("EXISTS", "the root exists");
    const at = await this.#place(segments, parents, true);
    await Deno.mkdir(at.path).catch((e) => {
      throw fsError(e, at.what);
    });
  }

  /**
   * Removes a file, a link, or a folder: an empty one, or with `recursive`
   * a whole tree, which leaves its name in one step. Its dead properties go
   * with it.
   *
   * @throws {NetkitError} `NOT_FOUND`; `EXISTS` for a folder that is not
   *   empty without `recursive`; `FORBIDDEN` for the root
   */
  async remove(segments: readonly string[], recursive = false): Promise<void> {
    if (segments.length === 0) throw new NetkitError("FORBIDDEN", "the root cannot be removed");
    const at = await this.#place(segments);
    await this.#props.removing(at, () => removeEntry(at, recursive, this.#props));
  }

  /**
   * Moves `from` to `to` in one step, never by copying; of two racing moves
   * to one free name exactly one wins. Dead properties move with the entry;
   * those of a replaced entry vanish.
   *
   * @returns true when something at `to` was replaced
   * @throws {NetkitError} `NOT_FOUND` (no source, or no destination folder),
   *   `EXISTS` (the destination is taken and `overwrite` is off),
   *   `FORBIDDEN` (the root, onto itself, or into its own subtree)
   */
  async move(
    from: readonly string[],
    to: readonly string[],
    options: TransferOptions = {},
  ): Promise<boolean> {
    const [src, dst] = await this.#ends(from, to);
    return await this.#props.moving(src, dst, async () => {
      const taken = await this.#taken(dst, options.overwrite ?? false);
      await moveEntry(src, dst, taken);
      return taken;
    });
  }

  /**
   * Copies `from` to `to` (a folder's whole tree, unless `depth` is 0): the
   * copy is flushed to disk and appears in one step, never half done. Dead
   * properties are copied too (a tree's members' with the tree).
   *
   * @returns true when something at `to` was replaced
   * @throws {NetkitError} as {@linkcode move}
   */
  async copy(
    from: readonly string[],
    to: readonly string[],
    options: CopyOptions = {},
  ): Promise<boolean> {
    const [src, dst] = await this.#ends(from, to);
    const taken = await this.#taken(dst, options.overwrite ?? false);
    await copyEntry(src, dst, taken, options);
    await this.#props.copy(src, dst);
    return taken;
  }

  /**
   * The dead properties of an entry (or of the root).
   *
   * @throws {NetkitError} `NOT_FOUND` when there is no such entry
   */
  async deadProps(segments: readonly string[]): Promise<DeadProp[]> {
    const { dir, name } = await this.#propsKey(segments);
    return await this.#props.read(dir, name);
  }

  /**
   * Changes the dead properties of an entry (or of the root) all at once:
   * `change` gets the current ones and returns the new set (or throws to
   * change nothing), under a lock every instance sharing the folder honours.
   *
   * @throws {NetkitError} `NOT_FOUND` when there is no such entry
   */
  async patchDeadProps(
    segments: readonly string[],
    change: (props: DeadProp[]) => DeadProp[],
  ): Promise<void> {
    const { dir, name } = await this.#propsKey(segments);
    const stillThere = () => name === null ? Promise.resolve() : this.#source(segments);
    await this.#props.patch(dir, name, change, stillThere);
  }

  /** A reader of the dead properties of a folder's entries, for listings. */
  async deadPropsOf(folder: readonly string[]): Promise<(name: string) => Promise<DeadProp[]>> {
    return await this.#props.readerOf((await this.stat(folder)).real);
  }

  /** Where the properties of `segments` live: its canonical folder and name (null: the root). */
  async #propsKey(segments: readonly string[]): Promise<{ dir: string; name: string | null }> {
    return segments.length === 0 ? { dir: this.root, name: null } : await this.#source(segments);
  }

  /**
   * Removes what dead writers left in a folder: temp files and folders of
   * processes gone (or untouched for long), and resumable part files
   * untouched for a day. Returns how many entries went.
   */
  async cleanTemps(segments: readonly string[] = []): Promise<number> {
    const dir = segments.length === 0 ? this.root : (await this.stat(segments)).real;
    return await cleanStaleTemps(dir);
  }

  /**
   * Where `segments` is: the canonical folder that holds the last segment
   * (see {@linkcode folderInside}), and the name in it. With `create`, the
   * name is about to be made and takes the jail's rules for new names too.
   *
   * @throws {NetkitError} `NOT_FOUND` (no such folder), `EXISTS` (a file in
   *   the way), `FORBIDDEN`, `INVALID_NAME`
   */
  async #place(segments: readonly string[], mkdir = false, create = false): Promise<Place> {
    if (segments.length === 0) throw new NetkitError("INVALID_NAME", "a name is needed");
    const name = this.check(segments).at(-1)!;
    if (create) checkNewSegment(name);
    const dir = await folderInside(this.root, segments.slice(0, -1), { ...this.#jail, mkdir });
    return { dir, name, path: `${dir}/${name}`, what: segments.join("/") };
  }

  /** The entry to move or copy, not followed if it is a link. */
  async #source(segments: readonly string[]): Promise<Source> {
    if (segments.length === 0) throw new NetkitError("FORBIDDEN", "the root cannot be moved");
    const at = await this.#place(segments);
    const info = await Deno.lstat(at.path).catch((e) => {
      throw fsError(e, at.what);
    });
    return { ...at, info };
  }

  /** Both ends of a move or copy; `FORBIDDEN` onto the source itself or into its own subtree. */
  async #ends(from: readonly string[], to: readonly string[]): Promise<[Source, Place]> {
    const src = await this.#source(from);
    const dst = await this.#place(to, false, true);
    if (src.path === dst.path) {
      throw new NetkitError("FORBIDDEN", `${src.what}: source and destination are the same`);
    }
    if (src.info.isDirectory && isInside(src.path, dst.path)) {
      throw new NetkitError("FORBIDDEN", `${dst.what}: a folder cannot go into itself`);
    }
    return [src, dst];
  }

  /** Whether something is at `dst`, to be replaced; `EXISTS` when it is and `overwrite` is off. */
  async #taken(dst: Place, overwrite: boolean): Promise<boolean> {
    const taken = await entryExists(dst.path);
    if (taken && !overwrite) throw new NetkitError("EXISTS", `${dst.what}: already exists`);
    return taken;
  }
}

/** Makes a library folder (and the folders above it) when it is missing. */
export async function makeLibraryFolder(path: string): Promise<void> {
  await Deno.mkdir(path, { recursive: true });
}
