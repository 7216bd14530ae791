/**
 * Atomic file creation shared by every server that writes: bytes go to an
 * exclusive temp file in the target's own folder, are flushed to disk, and
 * only then appear under the final name in one step, by `link` (create-only:
 * the file system decides the winner of a race, even across processes and
 * hosts sharing the folder) or `rename` (overwrite). A crash at any moment
 * leaves either nothing or the whole file under the final name. Every
 * `fsync` is checked before anything is published: on a network file system
 * a write is often only an entry in a cache, and a failed flush (a host cut
 * off from the others, a full disk) shows nowhere else.
 *
 * A resumable upload writes a part file instead (taken in
 * `resumable_part.ts`), kept between attempts and published the same way.
 * Temp names and the sweep of stale ones are in `temp_files.ts`, re-exported
 * here.
 *
 * @module
 */

import { isNetkitError, NetkitError } from "../errors.ts";
import { FileWriter } from "../disk_io.ts";
import type { PartOwner } from "./part_owner.ts";
import { fsError } from "./jail_fs.ts";
import { openResumablePart } from "./resumable_part.ts";
import { tempName } from "./temp_files.ts";

/** Bytes written between background flushes of an upload. */
const SYNC_EVERY_BYTES = 32 << 20;

/** How an {@linkcode AtomicFile} publishes. */
export interface AtomicFileOptions {
  /** Replace an existing file on commit (`rename`); otherwise create only (`link`). @default false */
  overwrite?: boolean;
  /**
   * Called when a write finds the disk full, to free space (by evicting
   * idle part files) and try again: `retry` resolves true once the write
   * went through. Resolves true when it did. @default none: the write fails
   */
  onNoSpace?: (retry: () => Promise<boolean>) => Promise<boolean>;
}

/** Options of {@linkcode AtomicFile.resumable}. */
export interface ResumableOptions extends AtomicFileOptions {
  /**
   * The source's version (its modification time, ms): a part file kept for
   * another version is not continued, and is dropped. @default none
   */
  version?: number;
}

/** Flushes a folder's entries to disk where the platform allows it. */
export async function syncDir(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  try {
    using d = await Deno.open(dir, { read: true });
    await d.sync();
  } catch {
    // Some file systems refuse to fsync a folder; the rename itself is still atomic.
  }
}

/**
 * A file being written under a temporary name. Call `commit` to publish it,
 * or let it be disposed (or call `abort`) to remove it.
 */
export class AtomicFile implements AsyncDisposable {
  /** The open temp file; write through {@linkcode AtomicFile.write}. */
  readonly file: Deno.FsFile;
  /** Where the bytes are while in flight. */
  readonly tempPath: string;
  /** Where they appear on commit. */
  readonly finalPath: string;
  /** Bytes already in the file (non-zero only when resuming). */
  readonly offset: number;
  readonly #dir: string;
  #keep: boolean;
  readonly #overwrite: boolean;
  readonly #onNoSpace: AtomicFileOptions["onNoSpace"];
  readonly #out: FileWriter;
  /** The claim on a resumable part file; null for a plain temp file. */
  readonly #owner: PartOwner | null;
  /** Bytes in the file so far: where the next write goes. */
  #size: number;
  #done = false;
  #unsynced = 0;
  #flushing: Promise<void> | null = null;
  /** What a background flush failed with: the commit fails with it too. */
  #flushError: unknown = null;

  private constructor(
    file: Deno.FsFile,
    dir: string,
    temp: string,
    final: string,
    options: AtomicFileOptions,
    resumable?: { offset: number; owner: PartOwner },
  ) {
    this.file = file;
    this.#owner = resumable?.owner ?? null;
    this.#out = new FileWriter(file);
    this.#dir = dir;
    this.tempPath = temp;
    this.finalPath = final;
    this.offset = resumable?.offset ?? 0;
    this.#size = this.offset;
    this.#keep = resumable !== undefined;
    this.#overwrite = options.overwrite ?? false;
    this.#onNoSpace = options.onNoSpace;
  }

  /**
   * Creates an exclusive temp file in `dir` for the entry `name` of `dir`.
   *
   * @param dir the folder that will hold the file (canonical, inside the jail)
   * @param name the final entry name in that folder (already checked by the jail)
   */
  static async create(
    dir: string,
    name: string,
    options: AtomicFileOptions = {},
  ): Promise<AtomicFile> {
    const temp = `${dir}/${tempName()}`;
    try {
      const file = await Deno.open(temp, {
        write: true,
        createNew: true,
        mode: 0o644,
      });
      return new AtomicFile(file, dir, temp, `${dir}/${name}`, options);
    } catch (e) {
      throw fsError(e, name);
    }
  }

  /**
   * Opens the resumable part file for an upload of `size` bytes to `name`
   * (of the source version `options.version`, when known): the bytes of an
   * earlier broken attempt are kept, and `abort` keeps the file for the next
   * attempt, unless the disk filled up. The part file is locked and claimed
   * (`resumable_part.ts`), so two uploads never write into it at once.
   *
   * @throws {NetkitError} `BUSY` when another upload still holds it
   */
  static async resumable(
    dir: string,
    name: string,
    size: number,
    options: ResumableOptions = {},
  ): Promise<AtomicFile> {
    const part = await openResumablePart(dir, name, size, options.version);
    return new AtomicFile(part.file, dir, part.path, `${dir}/${name}`, options, part);
  }

  /**
   * Appends bytes to the temp file. When the disk is full, the `onNoSpace`
   * hook may free space and the rest is written; if not, the write fails
   * `NO_SPACE` and a resumable part file is given up on abort, so it does not
   * keep the disk full.
   */
  async write(bytes: Uint8Array): Promise<void> {
    try {
      await this.#out.write(bytes);
    } catch (e) {
      const err = fsError(e, "upload");
      if (!isNetkitError(err, "NO_SPACE")) throw err;
      if (!(await this.#onNoSpace?.(() => this.#writeRest(bytes)))) {
        this.#keep = false;
        throw err;
      }
    }
    this.#size += bytes.length;
    // Start writing back to disk while the rest arrives, so the fsync at
    // commit has little left to do.
    this.#unsynced += bytes.length;
    if (this.#unsynced >= SYNC_EVERY_BYTES && this.#flushing === null) {
      this.#unsynced = 0;
      this.#flushing = this.file.syncData().catch((e) => void (this.#flushError ??= e))
        .finally(() => this.#flushing = null);
    }
  }

  /**
   * Writes what of `bytes` a failed write left out (the file's position says
   * how much went in).
   *
   * @returns false when the disk is still full
   */
  async #writeRest(bytes: Uint8Array): Promise<boolean> {
    try {
      const written = (await this.file.seek(0, Deno.SeekMode.Current)) - this.#size;
      await this.#out.write(bytes.subarray(Math.max(0, written)));
      return true;
    } catch (e) {
      if (isNetkitError(fsError(e, "upload"), "NO_SPACE")) return false;
      throw fsError(e, "upload");
    }
  }

  /**
   * Flushes the bytes, checks the flush, and publishes the file under its
   * final name. A resumable part file is published only while its owner
   * record names this upload, and its lock is held until it is published.
   *
   * @param overwrite replace an existing file; otherwise an existing name
   *   fails @default the `overwrite` option given at creation
   * @returns the published file's metadata (from the file itself, not its name,
   *   which another host may have replaced already)
   * @throws {NetkitError} `EXISTS` when the name is taken and `overwrite` is
   *   off; `BUSY` when another upload took the part file over
   */
  async commit(overwrite: boolean = this.#overwrite): Promise<Deno.FileInfo> {
    if (this.#done) throw new Error("AtomicFile already finished");
    this.#done = true;
    const name = this.finalPath.slice(this.#dir.length + 1);
    let published = false;
    try {
      await this.#flushing;
      if (this.#flushError !== null) throw this.#flushError;
      await this.file.sync();
      await this.#owner?.check();
      if (overwrite) {
        await Deno.rename(this.tempPath, this.finalPath);
        published = true;
      } else {
        await Deno.link(this.tempPath, this.finalPath);
        published = true;
        await Deno.remove(this.tempPath);
      }
      const info = await this.file.stat();
      await syncDir(this.#dir);
      return info;
    } catch (e) {
      if (!published) await this.#discard(e);
      if (
        (e as { code?: string })?.code === "EISDIR" ||
        e instanceof Deno.errors.IsADirectory
      ) {
        throw new NetkitError("EXISTS", `${name}: a folder has that name`);
      }
      throw fsError(e, name);
    } finally {
      this.#close();
      if (published) await this.#owner?.release();
    }
  }

  /**
   * Discards the temp file (a resumable part file is kept for the next
   * attempt unless `discard`); safe to call more than once. A part file is
   * removed only while its owner record names this upload.
   */
  async abort(discard = false): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#flushing;
    try {
      if (!this.#keep || discard) await this.#discard(null);
      else await this.#owner?.releaseIfHeld();
    } finally {
      this.#close();
    }
  }

  /**
   * Removes what a failed or abandoned upload wrote: its temp file, or its
   * part file while this upload owns it (the lock is still held) and the
   * bytes are no use: a failed commit for another reason than a lost claim.
   */
  async #discard(failure: unknown): Promise<void> {
    if (this.#owner === null) {
      this.#close(); // closed before removal, as some platforms want
      return await this.#removeTemp();
    }
    if (isNetkitError(failure, "BUSY")) return; // someone else's now
    if (!(await this.#owner.holds().catch(() => false))) return;
    await this.#removeTemp();
    await this.#owner.release();
  }

  #close(): void {
    try {
      this.file.close();
    } catch { /* closed already */ }
  }

  async #removeTemp(): Promise<void> {
    try {
      await Deno.remove(this.tempPath);
    } catch { /* gone already */ }
  }

  /** Aborts unless committed. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.abort();
  }
}
