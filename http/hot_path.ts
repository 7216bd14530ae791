/**
 * The fast path for hot small files: a map from the raw request path to a
 * file already served once (its bytes and its complete 200 headers),
 * revalidated with a single `stat` of the path when it was last checked
 * more than `revalidateMs` ago (0: on every request; like nginx's
 * `open_file_cache_valid`, this bounds how long an edit may go unseen and
 * saves a syscall and a `FileInfo` of garbage per request). The `stat` follows
 * symlinks like the first lookup did, and the answer is reused only when it
 * finds the very same version of the file (`core/file_version.ts`: device,
 * inode, size, mtime and ctime; never the inode alone, which Deno rounds
 * above 2^53): a file that was edited, or a path that now leads elsewhere
 * (say, a swapped symlink), fails the check and takes the full path through
 * the jail again. Requests with conditionals, ranges or (for compressible
 * types) Accept-Encoding always take the full path.
 *
 * @module
 */

import { LruCache } from "../core/lru.ts";
import { type FileVersion, isVersion, versionOf } from "../core/file_version.ts";
import { type Clock, systemClock } from "../core/clock.ts";

/** A remembered answer. */
interface HotEntry {
  /** Root-joined path to `stat` (symlinks followed). */
  path: string;
  /** The version of the file the answer was made from. */
  version: FileVersion;
  /** When the file was last found unchanged (the clock's `now()`). */
  checkedAt: number;
  /** The complete headers of the 200 answer. */
  headers: [string, string][];
  bytes: Uint8Array<ArrayBuffer>;
  /** True when Accept-Encoding could change the answer. */
  negotiates: boolean;
}

/** Request headers that can turn a 200 into a 304, 412 or 206. */
export const CONDITIONAL: readonly string[] = [
  "range",
  "if-none-match",
  "if-modified-since",
  "if-match",
  "if-unmodified-since",
];

/** Remembered answers, bounded in bytes and count, least recently used out first. */
export class HotPaths {
  readonly #entries: LruCache<string, HotEntry>;
  /** Requests answered from here, and not, since the start (for metrics). */
  hits = 0;
  misses = 0;
  /**
   * The last answer given and its body's length, so the server can count
   * the bytes of an answer from here without reading its headers (which
   * costs more than the rest of the counting).
   */
  lastAnswer: Response | null = null;
  lastLength = 0;

  /**
   * @param revalidateMs how long a check stays good; 0 checks every request
   * @param maxBytes most bytes held (each entry counted, even when two
   *   paths share a file); the least recently used go first
   * @param max most remembered paths
   * @param clock when checks were made (a virtual one in tests)
   */
  constructor(
    readonly revalidateMs = 1000,
    readonly maxBytes = 64 * 1024 * 1024,
    readonly max = 4096,
    readonly clock: Clock = systemClock,
  ) {
    this.#entries = new LruCache({ maxBytes, maxEntries: max, sizeOf: (e) => e.bytes.length });
  }

  /** The answer for `raw` when it is still valid, else null. */
  answer(raw: string, req: Request): Response | null {
    const e = this.#entries.get(raw);
    if (e === undefined) return this.#miss();
    const now = this.clock.now();
    if (now - e.checkedAt >= this.revalidateMs && !this.#check(raw, e, now)) return this.#miss();
    const h = req.headers;
    for (const name of CONDITIONAL) if (h.has(name)) return this.#miss();
    if (e.negotiates && h.has("accept-encoding")) return this.#miss();
    this.hits++;
    const res = new Response(req.method === "HEAD" ? null : e.bytes, { headers: e.headers });
    this.lastAnswer = res;
    this.lastLength = e.bytes.length;
    return res;
  }

  #miss(): null {
    this.misses++;
    return null;
  }

  /** Stats the entry's path; false (and forgets it) when the file is not the same. */
  #check(raw: string, e: HotEntry, now: number): boolean {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(e.path);
    } catch {
      this.#entries.delete(raw);
      return false;
    }
    if (!isVersion(e.version, info)) {
      this.#entries.delete(raw);
      return false;
    }
    e.checkedAt = now;
    return true;
  }

  /** Remembers the 200 answer for `raw`. */
  remember(
    raw: string,
    path: string,
    info: Deno.FileInfo,
    headers: [string, string][],
    bytes: Uint8Array<ArrayBuffer>,
    negotiates: boolean,
  ): void {
    this.#entries.set(raw, {
      path,
      version: versionOf(info),
      checkedAt: this.clock.now(),
      headers,
      bytes,
      negotiates,
    });
  }
}
