/**
 * Response compression decided by netkit, never by `Deno.serve`: picks br or
 * gzip from `Accept-Encoding`, and keeps compressed bytes in a bounded cache
 * keyed by path and file version (`core/file_version.ts`). Small files are
 * compressed inline (cheap); larger ones in a Worker isolate, off the request
 * path, while the uncompressed file is served until the compressed bytes are
 * ready.
 *
 * @module
 */

import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { LruCache } from "../core/lru.ts";
import type { FileVersion } from "../core/file_version.ts";

/** The encodings netkit produces. */
export type Encoding = "br" | "gzip";

/** Limits of the compressed-bytes cache. */
export interface CompressOptions {
  /** Compress files up to this size inline, on the request path. @default 65536 */
  inlineMax?: number;
  /** Never compress files larger than this (serve them as they are). @default 16 MiB */
  maxSize?: number;
  /** Total compressed bytes kept in memory. @default 64 MiB */
  cacheBytes?: number;
}

/** Files smaller than this are not worth compressing. */
export const MIN_COMPRESS_SIZE = 256;

/** Brotli quality for on-the-fly compression (11 is far too slow). */
const BR_QUALITY = 5;
/** Gzip level for on-the-fly compression. */
const GZIP_LEVEL = 6;

/**
 * Picks the best encoding the client accepts, or null for identity. Reads
 * q-values; `br` wins a tie; `*` stands for any encoding not named.
 */
export function negotiateEncoding(accept: string | null): Encoding | null {
  if (accept === null || accept === "") return null;
  const q: Record<string, number> = {};
  for (const part of accept.slice(0, 1024).split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/.exec(p);
      if (m) weight = Number(m[1]);
    }
    if (name) q[name] = weight;
  }
  const any = q["*"];
  const br = q["br"] ?? any ?? 0;
  const gzip = q["gzip"] ?? q["x-gzip"] ?? any ?? 0;
  if (br <= 0 && gzip <= 0) return null;
  return br >= gzip ? "br" : "gzip";
}

/** Compresses bytes synchronously with netkit's levels. */
export function compressBytes(
  data: Uint8Array,
  encoding: Encoding,
): Uint8Array<ArrayBuffer> {
  const out = encoding === "br"
    ? brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: BR_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    })
    : gzipSync(data, { level: GZIP_LEVEL });
  return new Uint8Array(
    out.buffer as ArrayBuffer,
    out.byteOffset,
    out.byteLength,
  );
}

/** Identifies one version of one file in one encoding. */
export function compressKey(real: string, v: FileVersion, encoding: Encoding): string {
  return `${encoding}:${v.dev}:${v.ino ?? 0}:${v.size}:${v.mtimeMs ?? 0}:${v.ctimeMs ?? 0}:${real}`;
}

/** A request to the compression Worker. */
export interface CompressJob {
  key: string;
  path: string;
  /** The version to compress; another one found at `path` is left alone. */
  version: FileVersion;
  encoding: Encoding;
}

/**
 * A cache of compressed file bytes, bounded by bytes (least recently used
 * out first). Nothing here blocks on a large file: `schedule` hands it to a
 * Worker, and `lookup` answers null until the bytes are ready.
 */
export class CompressCache {
  readonly #entries: LruCache<string, Uint8Array<ArrayBuffer>>;
  #pending = new Set<string>();
  #worker: Worker | null = null;
  readonly inlineMax: number;
  readonly maxSize: number;
  readonly cacheBytes: number;

  constructor(options: CompressOptions = {}) {
    this.inlineMax = options.inlineMax ?? 65536;
    this.maxSize = options.maxSize ?? 16 * 1024 * 1024;
    this.cacheBytes = options.cacheBytes ?? 64 * 1024 * 1024;
    this.#entries = new LruCache({ maxBytes: this.cacheBytes, sizeOf: (b) => b.length });
  }

  /** True when a file of this size is ever compressed. */
  accepts(size: number): boolean {
    return size >= MIN_COMPRESS_SIZE && size <= this.maxSize;
  }

  /** Cached compressed bytes, or null (refreshing the entry's age). */
  lookup(key: string): Uint8Array<ArrayBuffer> | null {
    return this.#entries.get(key) ?? null;
  }

  /** Compresses small `data` now and caches it. */
  inline(
    key: string,
    data: Uint8Array,
    encoding: Encoding,
  ): Uint8Array<ArrayBuffer> {
    const out = compressBytes(data, encoding);
    this.#entries.set(key, out);
    return out;
  }

  /**
   * Asks the Worker to compress the file at `path` (already jail-checked)
   * unless that is already under way. The result is cached only if the file
   * read was the version `version`.
   */
  schedule(key: string, path: string, version: FileVersion, encoding: Encoding): void {
    if (this.#pending.has(key) || this.#entries.has(key)) return;
    if (this.#pending.size >= 64) return; // a backlog: try again later
    this.#pending.add(key);
    const job: CompressJob = { key, path, version, encoding };
    this.#ensureWorker().postMessage(job);
  }

  /** Waits until no job is pending (for tests), at most `ms`. */
  async idle(ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (this.#pending.size > 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Stops the Worker; safe to call twice. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#pending.clear();
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(new URL("./compress_worker.ts", import.meta.url), {
      type: "module",
    });
    w.onmessage = (
      e: MessageEvent<{ key: string; bytes: Uint8Array<ArrayBuffer> | null }>,
    ) => {
      this.#pending.delete(e.data.key);
      if (e.data.bytes) this.#entries.set(e.data.key, e.data.bytes);
    };
    w.onerror = (e) => {
      e.preventDefault();
      this.#pending.clear();
      this.#worker?.terminate();
      this.#worker = null;
    };
    // Never keep the process alive just for an idle compressor.
    (w as unknown as { unref?: () => void }).unref?.();
    this.#worker = w;
    return w;
  }
}
