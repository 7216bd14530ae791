/**
 * Uploads into a library's folders, in places the library's door
 * (`Library`) has already checked. An upload writes a temp file beside its
 * target (or the resumable part file kept for that name and size) and
 * appears under the name in one step on commit ({@linkcode AtomicFile}).
 * What dead writers left is swept from a folder that receives uploads, at
 * most once per interval, and a full disk first takes back the space of
 * idle part files in the folders uploads went to lately.
 *
 * @module
 */

import { NetkitError } from "../errors.ts";
import { entryExists, type Place } from "./jail_fs.ts";
import { AtomicFile } from "./atomic_file.ts";
import { cleanStaleTemps } from "./temp_files.ts";
import { PROPS_DIR } from "./dead_props.ts";
import { dropIdleParts, evictIdleParts, partNameOf } from "./part_files.ts";

/** Options of `Library.beginUpload`. */
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

/** Folders uploads went to lately whose idle part files a full disk takes back. */
const RECENT_FOLDERS = 64;
/** Folders remembered as swept, at most; past that the memory starts over. */
const MAX_SWEPT = 10_000;

/** The uploads into one library, and the sweep of what abandoned ones left. */
export class Uploads {
  readonly #root: string;
  readonly #sweepEveryMs: number;
  /** When each folder was last swept, ms. */
  readonly #swept = new Map<string, number>();

  /**
   * @param root the library's canonical path
   * @param sweepEveryMs how often a folder is swept, at most
   */
  constructor(root: string, sweepEveryMs: number) {
    this.#root = root;
    this.#sweepEveryMs = sweepEveryMs;
  }

  /**
   * Begins an upload to `to`, create-only unless `overwrite`.
   *
   * @throws {NetkitError} `EXISTS` when the name is taken and `overwrite` is
   *   off; `BUSY` when another upload holds the part file
   */
  async begin(to: Place, options: UploadOptions = {}): Promise<AtomicFile> {
    const overwrite = options.overwrite ?? false;
    if (!overwrite) await refuseTaken(to);
    this.#sweep(to.dir);
    // A full disk first takes back the space of idle part files, the oldest
    // first: here, at the root, and in the folders uploads went to lately.
    const onNoSpace = (retry: () => Promise<boolean>) => {
      const recent = [...this.#swept.keys()].slice(-RECENT_FOLDERS);
      return evictIdleParts([to.dir, this.#root, ...recent], up.tempPath, retry);
    };
    const up: AtomicFile = options.resumeSize === undefined
      ? await AtomicFile.create(to.dir, to.name, { overwrite, onNoSpace })
      : await AtomicFile.resumable(to.dir, to.name, options.resumeSize, {
        overwrite,
        onNoSpace,
        version: options.version,
      });
    return up;
  }

  /**
   * How many bytes a broken resumable upload of `size` bytes to `to` left
   * (0 when none), read without creating or locking anything.
   *
   * @throws {NetkitError} `EXISTS` as {@linkcode begin} would
   */
  async heldBytes(
    to: Place,
    size: number,
    options: Pick<UploadOptions, "overwrite" | "version"> = {},
  ): Promise<number> {
    if (!options.overwrite) await refuseTaken(to);
    try {
      const held = (await Deno.stat(`${to.dir}/${partNameOf(to.name, size, options.version)}`))
        .size;
      return held > size ? 0 : held;
    } catch {
      return 0;
    }
  }

  /**
   * Removes the part files of broken uploads to `to`: of every size, or only
   * of `size` when given.
   *
   * @returns how many part files were removed
   * @throws {NetkitError} `NOT_FOUND` when there is none; `BUSY` when an
   *   upload is writing one now
   */
  async cancel(to: Place, size?: number): Promise<number> {
    const { removed, busy } = await dropIdleParts(to.dir, to.name, { size });
    if (busy > 0) throw new NetkitError("BUSY", `${to.what}: an upload is in progress`);
    if (removed === 0) {
      throw new NetkitError("NOT_FOUND", `${to.what}: no broken upload to cancel`);
    }
    return removed;
  }

  /** Sweeps `dir` in the background, at most once per sweep interval. */
  #sweep(dir: string): void {
    const now = Date.now();
    if (now - (this.#swept.get(dir) ?? -Infinity) < this.#sweepEveryMs) return;
    if (this.#swept.size > MAX_SWEPT) this.#swept.clear();
    this.#swept.set(dir, now);
    cleanStaleTemps(dir).catch(() => {});
    cleanStaleTemps(`${dir}/${PROPS_DIR}`).catch(() => {}); // a crashed property change's temp
  }
}

async function refuseTaken(to: Place): Promise<void> {
  if (await entryExists(to.path)) throw new NetkitError("EXISTS", `${to.what}: already exists`);
}
