/**
 * Remembers the digests of files already hashed, keyed by file identity
 * (device, inode), size, modification and change time, so a file served again
 * is not hashed again. Any change to the file changes the key. Bounded: the
 * oldest entries go first.
 *
 * @module
 */

/** Default number of digests kept. */
export const DEFAULT_DIGEST_CACHE_ENTRIES = 4096;

/** The identity of a file's content as far as metadata can tell. */
export function digestKey(info: Deno.FileInfo, hash: string): string | null {
  if (info.ino === null || info.mtime === null) return null;
  return [
    hash,
    info.dev,
    info.ino,
    info.size,
    info.mtime.getTime(),
    info.ctime?.getTime() ?? 0,
  ].join(":");
}

/** A bounded map from {@linkcode digestKey} to digest. */
export class DigestCache {
  readonly #max: number;
  readonly #map = new Map<string, Uint8Array>();

  constructor(maxEntries = DEFAULT_DIGEST_CACHE_ENTRIES) {
    this.#max = maxEntries;
  }

  /** The cached digest for `key`, if any. */
  get(key: string | null): Uint8Array | undefined {
    if (key === null) return undefined;
    const hit = this.#map.get(key);
    if (hit) {
      this.#map.delete(key);
      this.#map.set(key, hit);
    }
    return hit;
  }

  /** Remembers a digest. */
  set(key: string | null, digest: Uint8Array): void {
    if (key === null || this.#max === 0) return;
    this.#map.delete(key);
    this.#map.set(key, digest);
    if (this.#map.size > this.#max) {
      this.#map.delete(this.#map.keys().next().value!);
    }
  }

  /** Number of digests held. */
  get size(): number {
    return this.#map.size;
  }
}
