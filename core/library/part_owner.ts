/**
 * Who owns a resumable upload's part file, for the moment it is published
 * or removed. The part file's lock (`flock`, `file_lock.ts`) keeps two live
 * writers apart, even on two hosts. But a host cut off from the others
 * keeps its file open, and the file system gives up its lock for it
 * (GlusterFS: 8 to 43 s later) while it may still try to finish: another
 * host has resumed the upload by then. So every writer that takes the lock
 * puts a fresh token in the part file's owner record, and checks right
 * before it publishes or removes the part file that the record still names
 * it. A writer whose upload was taken over publishes nothing and removes
 * nothing. The record lives only while an upload runs: one that ends with
 * the part file kept for later removes it, so what a broken upload leaves
 * is the part file alone. (GlusterFS's `client.strict-locks` makes such a writer's `fsync`
 * fail first; the record also holds where no such option exists.)
 *
 * @module
 */

import { NetkitError } from "../errors.ts";
import { INTERNAL_PREFIX } from "./jail.ts";
import { fsError } from "./jail_fs.ts";
import { isStaleHandle, retryRead } from "./stale_handle.ts";

/** Prefix of part files' owner records (hidden and refused by the jail, like the part files). */
export const OWNER_PREFIX = `${INTERNAL_PREFIX}owner.`;

/** The owner record of the part file named `partName` in `dir` (`.netkit-owner.partial.…`). */
export function ownerRecordOf(dir: string, partName: string): string {
  const bare = partName.startsWith(INTERNAL_PREFIX)
    ? partName.slice(INTERNAL_PREFIX.length)
    : partName;
  return `${dir}/${OWNER_PREFIX}${bare}`;
}

/** A writer's claim on a part file, made while it holds the part file's lock. */
export class PartOwner {
  readonly #record: string;
  readonly #token: string;

  private constructor(record: string, token: string) {
    this.#record = record;
    this.#token = token;
  }

  /**
   * Claims the part file `partName` in `dir` for this writer: its token
   * replaces whatever the record held (a temp file renamed over it, so a
   * reader never sees half a token).
   *
   * @param tempPath a fresh temp name in `dir`
   */
  static async claim(dir: string, partName: string, tempPath: string): Promise<PartOwner> {
    const token = `${Deno.pid}.${crypto.randomUUID()}`;
    const record = ownerRecordOf(dir, partName);
    try {
      await Deno.writeTextFile(tempPath, token, { createNew: true, mode: 0o644 });
      await Deno.rename(tempPath, record);
    } catch (e) {
      await Deno.remove(tempPath).catch(() => {});
      throw fsError(e, "upload");
    }
    return new PartOwner(record, token);
  }

  /** True while the record names this writer. */
  async holds(): Promise<boolean> {
    try {
      return (await retryRead(() => Deno.readTextFile(this.#record), isStaleHandle)) ===
        this.#token;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return false;
      throw fsError(e, "upload");
    }
  }

  /**
   * Fails unless the record still names this writer.
   *
   * @throws {NetkitError} `BUSY` when another writer took the upload over
   */
  async check(): Promise<void> {
    if (!(await this.holds())) {
      throw new NetkitError("BUSY", "another server took this upload over");
    }
  }

  /** Removes the record (the part file was published, removed, or is left for later). */
  async release(): Promise<void> {
    await Deno.remove(this.#record).catch(() => {});
  }

  /** Removes the record if it still names this writer. */
  async releaseIfHeld(): Promise<void> {
    if (await this.holds().catch(() => false)) await this.release();
  }
}
