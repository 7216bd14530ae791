/**
 * Remembers the digests of files already hashed, keyed by the file's
 * version (`core/file_version.ts`: device, inode, size, modification and
 * change time), so a file served again is not hashed again. Any change to
 * the file changes the key. Bounded in count: the least recently used
 * entries go first.
 *
 * @module
 */

import { LruCache } from "../core/lru.ts";
import { versionKey } from "../core/file_version.ts";

/** Default number of digests kept. */
export const DEFAULT_DIGEST_CACHE_ENTRIES = 4096;

/** The identity of a file's content under `hash`, as far as metadata can tell. */
export function digestKey(info: Deno.FileInfo, hash: string): string | null {
  const version = versionKey(info);
  return version === null ? null : `${hash}:${version}`;
}

/** A bounded map from {@linkcode digestKey} to digest. */
export class DigestCache {
  readonly #digests: LruCache<string, Uint8Array>;
  /** Lookups answered, and not, since the start (for metrics). */
  hits = 0;
  misses = 0;

  /** @param maxEntries most digests kept (0 keeps none) */
  constructor(maxEntries = DEFAULT_DIGEST_CACHE_ENTRIES) {
    this.#digests = new LruCache({ maxBytes: Infinity, maxEntries, sizeOf: () => 0 });
  }

  /** The cached digest for `key`, if any. */
  get(key: string | null): Uint8Array | undefined {
    const digest = key === null ? undefined : this.#digests.get(key);
    if (digest === undefined) this.misses++;
    else this.hits++;
    return digest;
  }

  /** Remembers a digest. */
  set(key: string | null, digest: Uint8Array): void {
    if (key !== null) this.#digests.set(key, digest);
  }

  /** Number of digests held. */
  get size(): number {
    return this.#digests.size;
  }
}
