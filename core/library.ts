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
 * them again, so no caller can reach outside the root by mistake.
 *
 * @module
 */

import { isNetkitError, NetkitError } from "./errors.ts";
import { acceptsName, checkNewSegment, isInside, joinInRoot, resolveName } from "./jail.ts";
import {
  canonicalRoot,
  entryExists,
  fsError,
  type JailedPath,
  type OpenedFile,
  openInside,
  resolveInside,
  resolveInsideSync,
} from "./jail_fs.ts";
import { AtomicFile, cleanStaleTemps, tempName } from "./atomic_file.ts";
import { retryRead } from "./stale_handle.ts";
import { type DeadProp, DeadPropStore, PROPS_DIR } from "./dead_props.ts";
import { LOCKS_DIR, LockStore } from "./lock_store.ts";
import { dropIdleParts, evictIdleParts, partNameOf } from "./part_files.ts";

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

/** One visible entry of a folder, with the metadata of what it leads to. */
export interface LibraryEntry {
  /** The entry's name. */
  name: string;
  /** Metadata of the file or folder (a symlink inside the root is followed). */
  info: Deno.FileInfo;
}

/** Options of {@linkcode Library.beginUpload}. */
export interface UploadOptions {
  /** Replace an existing file (atomic rename); otherwise create only. @default false */
  overwrite?: boolean;
  /**
   * The whole size of a resumable upload: its bytes go to a part file kept
   * between attempts, continuing what an earlier attempt left. @default none
   */
  resumeSize?: number;
  /** Create missing parent folders, one by one inside the jail. @default false */
  mkdir?: boolean;
  /**
   * With `resumeSize`: the source's version (its modification time, ms), so
   * bytes kept from another version are never continued. @default none
   */
  version?: number;
}

/** Options of {@linkcode Library.move} and {@linkcode Library.copy}. */
export interface TransferOptions {
  /** Replace what is at the destination. @default false */
  overwrite?: boolean;
}

/** Options of {@linkcode Library.copy}. */
export interface CopyOptions extends TransferOptions {
  /** A folder with its whole tree (`"infinity"`), or the folder alone (0). @default "infinity" */
  depth?: 0 | "infinity";
}

/** The entry a move or copy starts from: its canonical folder, name, path and metadata (not followed). */
interface Source {
  dir: string;
  name: string;
  path: string;
  info: Deno.FileInfo;
}

/** Entries stat'ed at once when listing: enough to overlap a network file system's latency. */
const LIST_BATCH = 64;

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
  readonly #sweepEveryMs: number;
  readonly #swept = new Map<string, number>();
  readonly #props = new DeadPropStore();

  private constructor(root: string, options: LibraryOptions) {
    this.root = root;
    this.hidden = options.hidden ?? false;
    this.followSymlinks = options.followSymlinks ?? false;
    this.#sweepEveryMs = options.sweepEveryMs ?? 10 * 60_000;
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

  /**
   * Checks segments against the jail's rules and this library's hidden rule.
   *
   * @returns the same segments
   * @throws {NetkitError} `INVALID_NAME`
   */
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
   * letter or percent-encoded trick, not too long). Every listing and
   * archive leaves out what this refuses, so no service shows a name it
   * would then refuse to serve.
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
    const found = resolveInsideSync(this.root, this.check(segments), this.#jail());
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
    const found = await resolveInside(this.root, this.check(segments), this.#jail());
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
    return openInside(this.root, this.check(segments), this.#jail());
  }

  /** True when an entry (file, folder or link, not followed) has that name. */
  async exists(segments: readonly string[]): Promise<boolean> {
    const dir = await this.#parent(segments, false);
    return await entryExists(`${dir}/${segments.at(-1)}`);
  }

  /**
   * The servable entries of a folder, in batches as they are read: files and
   * folders only (links inside the root followed; links out of it, sockets,
   * devices, netkit's own temp files and names the jail refuses left out,
   * see {@linkcode isServable}). Memory stays at one batch.
   *
   * @throws {NetkitError} `NOT_FOUND` when `segments` is not a folder
   */
  async *entries(segments: readonly string[]): AsyncGenerator<LibraryEntry[]> {
    const dir = await this.stat(segments);
    if (!dir.info.isDirectory) {
      throw new NetkitError("NOT_FOUND", `${segments.join("/")}: not a folder`);
    }
    let batch: Deno.DirEntry[] = [];
    const flush = async (): Promise<LibraryEntry[]> => {
      const infos = await Promise.all(batch.map((e) => this.#entryInfo(dir, segments, e)));
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
        if (!this.isServable(segments, e.name) || !(e.isFile || e.isDirectory || e.isSymlink)) {
          continue;
        }
        batch.push(e);
        if (batch.length >= LIST_BATCH) yield await flush();
      }
    } catch (e) {
      throw fsError(e, segments.join("/") || "/");
    }
    if (batch.length > 0) yield await flush();
  }

  /**
   * The servable entries of a folder sorted by name (code-point order), at
   * most `limit` of them.
   *
   * @throws {NetkitError} `NOT_FOUND` when `segments` is not a folder
   */
  async list(segments: readonly string[], limit = Infinity): Promise<LibraryEntry[]> {
    const all: LibraryEntry[] = [];
    for await (const batch of this.entries(segments)) {
      for (const e of batch) {
        if (all.length >= limit) break;
        all.push(e);
      }
      if (all.length >= limit) break;
    }
    return all.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  /** Metadata of one entry of the canonical folder `dir`; null when it cannot be served. */
  async #entryInfo(
    dir: Found,
    segments: readonly string[],
    e: Deno.DirEntry,
  ): Promise<Deno.FileInfo | null> {
    try {
      // A plain entry of a canonical folder inside the root stays inside it:
      // one lstat; only a link takes the realpath check.
      if (!e.isSymlink) return await retryRead(() => Deno.lstat(`${dir.real}/${e.name}`));
      return (await resolveInside(this.root, [...segments, e.name], this.#jail())).info;
    } catch {
      return null;
    }
  }

  /**
   * Begins an upload to `segments`: a temp file in the target's folder (or
   * the resumable part file for that name and size), published on `commit`
   * by `link` (create-only: of racing uploads, across hosts too, exactly one
   * wins) or `rename` (overwrite), after an `fsync`. Until then nothing
   * appears under the name; an abandoned upload is swept later.
   *
   * @throws {NetkitError} `EXISTS` when the name is taken and `overwrite` is
   *   off; `NOT_FOUND` when the folder does not exist (and `mkdir` is off);
   *   `BUSY` when another upload holds the part file
   */
  async beginUpload(segments: readonly string[], options: UploadOptions = {}): Promise<AtomicFile> {
    const dir = await this.#parent(segments, options.mkdir ?? false, true);
    const name = segments.at(-1)!;
    const overwrite = options.overwrite ?? false;
    if (!overwrite && await entryExists(`${dir}/${name}`)) {
      throw new NetkitError("EXISTS", `${segments.join("/")}: already exists`);
    }
    this.#sweep(dir);
    // A full disk first takes back the space of idle part files, the oldest
    // first: here, at the root, and in the folders uploads went to lately.
    const onNoSpace = (retry: () => Promise<boolean>) =>
      evictIdleParts([dir, this.root, ...[...this.#swept.keys()].slice(-64)], up.tempPath, retry);
    const up: AtomicFile = options.resumeSize === undefined
      ? await AtomicFile.create(dir, name, { overwrite, onNoSpace })
      : await AtomicFile.resumable(dir, name, options.resumeSize, {
        overwrite,
        onNoSpace,
        version: options.version,
      });
    return up;
  }

  /**
   * How many bytes a broken resumable upload of `size` bytes to `segments`
   * left (0 when none), read without creating or locking anything: the
   * answer to a status query.
   *
   * @throws {NetkitError} as {@linkcode beginUpload} would, before any byte
   */
  async heldBytes(
    segments: readonly string[],
    size: number,
    options: Pick<UploadOptions, "overwrite" | "version"> = {},
  ): Promise<number> {
    const dir = await this.#parent(segments, false);
    const name = segments.at(-1)!;
    if (!options.overwrite && await entryExists(`${dir}/${name}`)) {
      throw new NetkitError("EXISTS", `${segments.join("/")}: already exists`);
    }
    try {
      const held = (await Deno.stat(`${dir}/${partNameOf(name, size, options.version)}`)).size;
      return held > size ? 0 : held;
    } catch {
      return 0;
    }
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
    const dir = await this.#parent(segments, false);
    const { removed, busy } = await dropIdleParts(dir, segments.at(-1)!, { size });
    if (busy > 0) {
      throw new NetkitError("BUSY", `${segments.join("/")}: an upload is in progress`);
    }
    if (removed === 0) {
      throw new NetkitError("NOT_FOUND", `${segments.join("/")}: no broken upload to cancel`);
    }
    return removed;
  }

  /**
   * Makes a folder; with `parents`, the missing folders above it too.
   *
   * @throws {NetkitError} `EXISTS` when the name is taken, `NOT_FOUND` without a parent
   */
  async mkdir(segments: readonly string[], parents = false): Promise<void> {
    if (segments.length === 0) throw new NetkitError("EXISTS", "the root exists");
    const dir = await this.#parent(segments, parents, true);
    try {
      await Deno.mkdir(`${dir}/${segments.at(-1)}`);
    } catch (e) {
      throw fsError(e, segments.join("/"));
    }
  }

  /**
   * Removes a file, a link, or a folder: an empty one, or with `recursive`
   * a whole tree. A tree leaves its name in one step (renamed aside first,
   * then emptied), so no reader on any host sees it half gone. Its dead
   * properties go with it (set aside first, put back if the removal fails).
   *
   * @throws {NetkitError} `NOT_FOUND`; `EXISTS` for a folder that is not
   *   empty without `recursive`; `FORBIDDEN` for the root
   */
  async remove(segments: readonly string[], recursive = false): Promise<void> {
    if (segments.length === 0) throw new NetkitError("FORBIDDEN", "the root cannot be removed");
    const dir = await this.#parent(segments, false);
    const name = segments.at(-1)!;
    const what = segments.join("/");
    const path = `${dir}/${name}`;
    await this.#withProps([dir], async () => {
      const aside = await this.#props.setAside(dir, name);
      try {
        await this.#removeEntry(dir, path, recursive, what);
      } catch (e) {
        await this.#props.place(aside, dir, name);
        throw e;
      }
      await this.#props.discard(aside);
    }, () => this.#removeEntry(dir, path, recursive, what));
  }

  async #removeEntry(dir: string, path: string, recursive: boolean, what: string): Promise<void> {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(path);
    } catch (e) {
      throw fsError(e, what);
    }
    if (info.isDirectory && recursive) {
      await removeTree(await this.#setAside(dir, path, what));
      return;
    }
    try {
      await Deno.remove(path);
    } catch (e) {
      if ((e as { code?: string })?.code !== "ENOTEMPTY") throw fsError(e, what);
      // Only the properties of entries long gone may keep a folder from being empty.
      if (!(await this.#props.clearIfOnlyEntry(path))) {
        throw new NetkitError("EXISTS", `${what}: the folder is not empty`);
      }
      await Deno.remove(path).catch((e2) => {
        throw fsError(e2, what);
      });
    }
  }

  /**
   * Moves `from` to `to`: a single `rename` where the name is free or may be
   * replaced, a `link` (files) or a claimed empty folder (folders) where it
   * must not be, so that of two racing moves to one name exactly one wins.
   * Never copies: nothing is half-moved. Dead properties move with the
   * entry; those of a replaced entry vanish.
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
    const src = await this.#source(from);
    const dstDir = await this.#parent(to, false, true);
    const dstName = to.at(-1)!;
    const dst = `${dstDir}/${dstName}`;
    this.#checkTarget(src, dst, from, to);
    const move = async () => {
      const taken = await this.#taken(dst, to, options.overwrite ?? false);
      await this.#moveEntry(src, dstDir, dst, taken, to.join("/"));
      return taken;
    };
    return await this.#withProps([src.dir, dstDir], async () => {
      const carried = await this.#props.setAside(src.dir, src.name);
      const replaced = await this.#props.setAside(dstDir, dstName);
      let taken: boolean;
      try {
        taken = await move();
      } catch (e) {
        await this.#props.place(carried, src.dir, src.name);
        await this.#props.place(replaced, dstDir, dstName);
        throw e;
      }
      await this.#props.place(carried, dstDir, dstName);
      await this.#props.discard(replaced);
      return taken;
    }, move);
  }

  async #moveEntry(
    src: Source,
    dstDir: string,
    dst: string,
    taken: boolean,
    what: string,
  ): Promise<void> {
    try {
      if (taken && !src.info.isDirectory && !(await Deno.lstat(dst)).isDirectory) {
        await Deno.rename(src.path, dst); // a file over a file: replaced in one step
      } else if (taken) {
        // A folder on either side: the old entry steps aside, the new one takes its name.
        const aside = await this.#setAside(dstDir, dst, what);
        await Deno.rename(src.path, dst);
        await removeTree(aside);
      } else if (src.info.isDirectory) {
        await renameFolderCreateOnly(src.path, dst, what);
      } else {
        await linkCreateOnly(src.path, dst, what);
        await Deno.remove(src.path);
      }
    } catch (e) {
      throw fsError(e, what);
    }
  }

  /**
   * Copies `from` to `to`: the bytes (a folder's whole tree, unless
   * `depth` is 0) go to a temp entry in the destination's folder, are
   * flushed to disk, and appear under the name in one step, create-only
   * unless `overwrite`. A copy is never seen half done. Dead properties
   * are copied too (a tree's members' with the tree).
   *
   * @returns true when something at `to` was replaced
   * @throws {NetkitError} as {@linkcode move}
   */
  async copy(
    from: readonly string[],
    to: readonly string[],
    options: CopyOptions = {},
  ): Promise<boolean> {
    const src = await this.#source(from);
    const dstDir = await this.#parent(to, false, true);
    const dst = `${dstDir}/${to.at(-1)}`;
    this.#checkTarget(src, dst, from, to);
    const overwrite = options.overwrite ?? false;
    const taken = await this.#taken(dst, to, overwrite);
    await this.#copyEntry(src, dstDir, dst, to, overwrite, taken, options.depth);
    if (await this.#anyProps([src.dir, dstDir])) {
      await this.#props.locked([dstDir], true, async () => {
        await this.#props.write(dstDir, to.at(-1)!, await this.#props.read(src.dir, src.name));
      });
    }
    return taken;
  }

  async #copyEntry(
    src: Source,
    dstDir: string,
    dst: string,
    to: readonly string[],
    overwrite: boolean,
    taken: boolean,
    depth: CopyOptions["depth"],
  ): Promise<void> {
    const what = to.join("/");
    if (!src.info.isDirectory) {
      await using up = await AtomicFile.create(dstDir, to.at(-1)!, { overwrite });
      try {
        await Deno.copyFile(src.path, up.tempPath);
      } catch (e) {
        throw fsError(e, what);
      }
      if (taken && (await Deno.lstat(dst).catch(() => null))?.isDirectory) {
        await removeTree(await this.#setAside(dstDir, dst, what));
      }
      await up.commit();
      return;
    }
    const temp = `${dstDir}/${tempName()}`;
    try {
      await Deno.mkdir(temp);
      if (depth !== 0) await copyTree(src.path, temp);
      await syncDir(temp);
      if (taken) {
        const aside = await this.#setAside(dstDir, dst, what);
        await Deno.rename(temp, dst);
        await removeTree(aside);
      } else {
        await renameFolderCreateOnly(temp, dst, what);
      }
      await syncDir(dstDir);
    } catch (e) {
      await removeTree(temp);
      throw fsError(e, what);
    }
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
    await this.#props.locked([dir], true, async () => {
      if (name !== null) await this.#source(segments); // still there, under the lock
      await this.#props.write(dir, name, change(await this.#props.read(dir, name)));
    });
  }

  /**
   * A reader of the dead properties of a folder's entries, for listings: one
   * `readDir` up front, then a file read only for entries that have any.
   */
  async deadPropsOf(folder: readonly string[]): Promise<(name: string) => Promise<DeadProp[]>> {
    const dir = (await this.stat(folder)).real;
    const names = await this.#props.names(dir);
    return (name) => names.has(name) ? this.#props.read(dir, name) : Promise.resolve([]);
  }

  /** Where the properties of `segments` live: its canonical folder and name (null: the root). */
  async #propsKey(segments: readonly string[]): Promise<{ dir: string; name: string | null }> {
    if (segments.length === 0) return { dir: this.root, name: null };
    const { dir, name } = await this.#source(segments);
    return { dir, name };
  }

  /**
   * Runs `withProps` under the property lock of `dirs` when any of them has
   * properties, else `plain`: a folder that never had any costs one `lstat`.
   */
  async #withProps<T>(
    dirs: string[],
    withProps: () => Promise<T>,
    plain: () => Promise<T>,
  ): Promise<T> {
    return (await this.#anyProps(dirs))
      ? await this.#props.locked(dirs, false, withProps)
      : await plain();
  }

  async #anyProps(dirs: string[]): Promise<boolean> {
    return (await Promise.all(dirs.map((d) => this.#props.has(d)))).some(Boolean);
  }

  /**
   * Removes what dead writers left in a folder: temp files and folders of
   * processes gone (or untouched for long), and resumable part files
   * untouched for a day.
   *
   * @returns how many entries were removed
   */
  async cleanTemps(segments: readonly string[] = []): Promise<number> {
    const dir = segments.length === 0 ? this.root : (await this.stat(segments)).real;
    return await cleanStaleTemps(dir);
  }

  /** Sweeps `dir` in the background, at most once per sweep interval. */
  #sweep(dir: string): void {
    const now = Date.now();
    if (now - (this.#swept.get(dir) ?? -Infinity) < this.#sweepEveryMs) return;
    if (this.#swept.size > 10_000) this.#swept.clear();
    this.#swept.set(dir, now);
    cleanStaleTemps(dir).catch(() => {});
    cleanStaleTemps(`${dir}/${PROPS_DIR}`).catch(() => {}); // a crashed property change's temp
  }

  #jail() {
    return { followSymlinks: this.followSymlinks };
  }

  /**
   * The canonical folder that holds the last segment; with `mkdir`, missing
   * folders are made one by one, each checked by the jail again. With
   * `create`, the last segment is a name about to be made, and it and every
   * folder made take the jail's rules for new names too.
   *
   * @throws {NetkitError} `NOT_FOUND` (no such folder), `EXISTS` (a file in
   *   the way), `FORBIDDEN`, `INVALID_NAME`
   */
  async #parent(segments: readonly string[], mkdir: boolean, create = false): Promise<string> {
    if (segments.length === 0) throw new NetkitError("INVALID_NAME", "a name is needed");
    this.check(segments);
    if (create) checkNewSegment(segments.at(-1)!);
    let real = this.root;
    for (let i = 0; i < segments.length - 1; i++) {
      const upTo = segments.slice(0, i + 1);
      let next: JailedPath;
      try {
        next = await resolveInside(this.root, upTo, this.#jail());
      } catch (e) {
        if (!mkdir || !isNetkitError(e, "NOT_FOUND")) {
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
        next = await resolveInside(this.root, upTo, this.#jail());
      }
      if (!next.info.isDirectory) {
        throw new NetkitError("EXISTS", `${upTo.join("/")}: not a folder`);
      }
      real = next.real;
    }
    return real;
  }

  /** The entry to move or copy, not followed if it is a link. */
  async #source(segments: readonly string[]): Promise<Source> {
    if (segments.length === 0) throw new NetkitError("FORBIDDEN", "the root cannot be moved");
    const dir = await this.#parent(segments, false);
    const name = segments.at(-1)!;
    const path = `${dir}/${name}`;
    try {
      return { dir, name, path, info: await Deno.lstat(path) };
    } catch (e) {
      throw fsError(e, segments.join("/"));
    }
  }

  /** Refuses a move or copy onto the source itself or into its own subtree. */
  #checkTarget(
    src: Source,
    dst: string,
    from: readonly string[],
    to: readonly string[],
  ): void {
    if (src.path === dst) {
      throw new NetkitError("FORBIDDEN", `${from.join("/")}: source and destination are the same`);
    }
    if (src.info.isDirectory && isInside(src.path, dst)) {
      throw new NetkitError("FORBIDDEN", `${to.join("/")}: a folder cannot go into itself`);
    }
  }

  /**
   * Whether something is at `dst` (a move or copy then replaces it).
   *
   * @throws {NetkitError} `EXISTS` when it is and `overwrite` is off
   */
  async #taken(dst: string, to: readonly string[], overwrite: boolean): Promise<boolean> {
    const taken = await entryExists(dst);
    if (taken && !overwrite) throw new NetkitError("EXISTS", `${to.join("/")}: already exists`);
    return taken;
  }

  /** Renames `path` to a temp name in `dir`, out of everyone's sight. */
  async #setAside(dir: string, path: string, what: string): Promise<string> {
    const aside = `${dir}/${tempName()}`;
    try {
      await Deno.rename(path, aside);
    } catch (e) {
      throw fsError(e, what);
    }
    return aside;
  }
}

/**
 * Renames the folder `from` to the free name `to` in one step. A file or a
 * folder with entries that took the name meanwhile makes it fail `EXISTS`;
 * an empty folder made there in that instant is replaced (POSIX `rename`
 * allows that, and Deno offers no `RENAME_NOREPLACE`): nothing is lost, and
 * no reader ever sees the tree half there.
 */
async function renameFolderCreateOnly(from: string, to: string, what: string): Promise<void> {
  try {
    await Deno.rename(from, to);
  } catch (e) {
    const code = (e as { code?: string })?.code;
    if (
      e instanceof Deno.errors.AlreadyExists || e instanceof Deno.errors.NotADirectory ||
      code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOTDIR"
    ) {
      throw new NetkitError("EXISTS", `${what}: already exists`);
    }
    throw e;
  }
}

/** Links `target` at `path`, failing `EXISTS` when the name is taken (atomic, across hosts too). */
async function linkCreateOnly(target: string, path: string, what: string): Promise<void> {
  try {
    await Deno.link(target, path);
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      throw new NetkitError("EXISTS", `${what}: already exists`);
    }
    throw e;
  }
}

/** Removes a tree set aside under a temp name; what cannot go is swept later. */
async function removeTree(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

/** Copies the contents of folder `from` into the empty folder `to`, flushing every file. */
async function copyTree(from: string, to: string): Promise<void> {
  for await (const e of Deno.readDir(from)) {
    const src = `${from}/${e.name}`;
    const dst = `${to}/${e.name}`;
    if (e.isDirectory) {
      await Deno.mkdir(dst);
      await copyTree(src, dst);
      await syncDir(dst);
    } else if (e.isSymlink) {
      await Deno.symlink(await Deno.readLink(src), dst);
    } else if (e.isFile) {
      await Deno.copyFile(src, dst);
      using f = await Deno.open(dst, { read: true, write: true });
      await f.sync();
    }
  }
}

/** Flushes a folder's entries to disk where the platform allows it. */
async function syncDir(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  try {
    using d = await Deno.open(dir, { read: true });
    await d.sync();
  } catch { /* some file systems refuse to fsync a folder */ }
}

/** Makes a library folder (and the folders above it) when it is missing. */
export async function makeLibraryFolder(path: string): Promise<void> {
  await Deno.mkdir(path, { recursive: true });
}
