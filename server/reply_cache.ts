/**
 * Whole answers to small downloads, ready to write: GET_OK, DATA and END of
 * a small file, encoded once and kept under the file's identity (device,
 * inode, size, modification and change time, and the hash the session
 * uses). A GET of a file already answered costs one `lstat` and one write
 * instead of `lstat`, `open`, `fstat`, `read` and `close` (a third of the
 * server's time under a hundred clients fetching 64 KiB). Any change to the
 * file (an edit, an upload renamed over it, a swapped link) changes its
 * identity, so a stale answer is never sent; symlinks are never answered
 * from here. Bounded by bytes: the least recently used answers go first.
 *
 * What the identity cannot see: an edit in place that keeps the size and
 * sets the modification time back to the same millisecond, within the same
 * second of change time (Deno reports `ctime` in whole seconds). Such a file
 * is answered as it was until its next change, as the digest cache would
 * (there the client's check then fails loudly). netkit's own uploads always
 * make a new file, so they are always seen.
 *
 * @module
 */

import { LruCache } from "../core/lru.ts";
import { digestKey } from "./digest_cache.ts";

/** Default bytes of answers kept. */
export const DEFAULT_REPLY_CACHE_BYTES = 32 * 1024 * 1024;

interface Entry {
  /** {@linkcode digestKey} of the file the answer was made from. */
  key: string;
  reply: Uint8Array;
}

/** A bounded map from (hash, name) to the encoded answer for one file version. */
export class ReplyCache {
  readonly #answers: LruCache<string, Entry>;
  /** Lookups answered, and not, since the start (for metrics). */
  hits = 0;
  misses = 0;

  /** @param maxBytes most bytes of answers kept (0 turns the cache off) */
  constructor(readonly maxBytes = DEFAULT_REPLY_CACHE_BYTES) {
    this.#answers = new LruCache({ maxBytes, sizeOf: (e) => e.reply.length });
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#answers.bytes;
  }

  /**
   * The answer for `name` under `hash` when it was made from the file as
   * `stat` describes it now, else null. `stat` (an `lstat` of the plain
   * file, or null when there is none) is called only when an answer for the
   * name is kept at all, so a miss costs no system call.
   */
  get(name: string, hash: string, stat: () => Deno.FileInfo | null): Uint8Array | null {
    const id = `${hash}/${name}`;
    const e = this.#answers.get(id);
    if (e === undefined) return this.#miss();
    const info = stat();
    if (info === null) return this.#miss();
    if (e.key !== digestKey(info, hash)) {
      this.#answers.delete(id);
      return this.#miss();
    }
    this.hits++;
    return e.reply;
  }

  #miss(): null {
    this.misses++;
    return null;
  }

  /** Keeps `reply` (not copied: the caller gives up the buffer) for `name` as `info` describes it. */
  set(name: string, hash: string, info: Deno.FileInfo, reply: Uint8Array): void {
    const key = digestKey(info, hash);
    const id = `${hash}/${name}`;
    if (key === null) this.#answers.delete(id);
    else this.#answers.set(id, { key, reply });
  }
}
