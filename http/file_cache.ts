/**
 * A bounded in-memory cache of small hot files, keyed by canonical path and
 * revalidated against the file's version (`core/file_version.ts`) from a
 * fresh `stat` on every request, so an edited file is never served stale.
 *
 * @module
 */

import { LruCache } from "../core/lru.ts";
import { type FileVersion, isVersion, versionOf } from "../core/file_version.ts";

/** A cached file's bytes and the version they were read from. */
export interface CachedFile {
  /** The whole content. */
  bytes: Uint8Array<ArrayBuffer>;
  /** The file's version at read time. */
  version: FileVersion;
}

/** Small files in memory under a total byte budget, least recently used out first. */
export class FileCache {
  readonly #entries: LruCache<string, CachedFile>;
  /** Lookups answered, and not, since the start (for metrics). */
  hits = 0;
  misses = 0;

  /**
   * @param fileMax largest file kept (bytes); 0 disables the cache
   * @param totalMax total bytes kept
   */
  constructor(readonly fileMax: number, readonly totalMax: number) {
    this.#entries = new LruCache({ maxBytes: totalMax, sizeOf: (e) => e.bytes.length });
  }

  /** True when a file of `size` bytes may be cached. */
  accepts(size: number): boolean {
    return size <= this.fileMax && size <= this.totalMax;
  }

  /** The cached bytes of `real` if they match `info`; drops stale entries. */
  get(real: string, info: Deno.FileInfo): CachedFile | null {
    const hit = this.peek(real, info);
    if (hit === null) this.misses++;
    else this.hits++;
    return hit;
  }

  /** Like `get`, without counting a hit or a miss: a probe, not a lookup. */
  peek(real: string, info: Deno.FileInfo): CachedFile | null {
    const hit = this.#entries.get(real);
    if (!hit) return null;
    if (isVersion(hit.version, info)) return hit;
    this.#entries.delete(real);
    return null;
  }

  /** Stores a file read under `info`. */
  put(
    real: string,
    bytes: Uint8Array<ArrayBuffer>,
    info: Deno.FileInfo,
  ): CachedFile {
    const entry: CachedFile = { bytes, version: versionOf(info) };
    if (this.accepts(bytes.length)) this.#entries.set(real, entry);
    return entry;
  }
}

/** Reads an open file of `size` bytes completely. */
export async function readAll(
  file: Deno.FsFile,
  size: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const buf = new Uint8Array(size);
  let n = 0;
  while (n < size) {
    const r = await file.read(buf.subarray(n));
    if (r === null) throw new Error("file shrank while being read");
    n += r;
  }
  return buf;
}
