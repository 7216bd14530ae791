/**
 * The fast path for hot small files: a map from the raw request path to a
 * file already served once (its bytes and its complete 200 headers), checked
 * on every request with a single `stat` of the path. The `stat` follows
 * symlinks like the first lookup did, and the answer is reused only when it
 * finds the very same file (device, inode, size and mtime): a file that was
 * edited, or a path that now leads elsewhere (say, a swapped symlink), fails
 * the check and takes the full path through the jail again. Requests with
 * conditionals, ranges or (for compressible types) Accept-Encoding always
 * take the full path.
 *
 * @module
 */

/** A remembered answer. */
interface HotEntry {
  /** Root-joined path to `stat` (symlinks followed). */
  path: string;
  dev: number;
  ino: number | null;
  size: number;
  mtimeMs: number | null;
  /** The complete headers of the 200 answer. */
  headers: [string, string][];
  bytes: Uint8Array<ArrayBuffer>;
  /** True when Accept-Encoding could change the answer. */
  negotiates: boolean;
}

const CONDITIONAL = [
  "range",
  "if-none-match",
  "if-modified-since",
  "if-match",
  "if-unmodified-since",
];

/** Remembered answers, bounded in count. */
export class HotPaths {
  #entries = new Map<string, HotEntry>();

  /** @param max most remembered paths; the map is cleared when full */
  constructor(readonly max = 4096) {}

  /** The answer for `raw` when it is still valid, else null. */
  answer(raw: string, req: Request): Response | null {
    const e = this.#entries.get(raw);
    if (e === undefined) return null;
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(e.path);
    } catch {
      this.#entries.delete(raw);
      return null;
    }
    if (
      info.ino !== e.ino || info.dev !== e.dev || info.size !== e.size ||
      (info.mtime?.getTime() ?? null) !== e.mtimeMs
    ) {
      this.#entries.delete(raw);
      return null;
    }
    const h = req.headers;
    for (const name of CONDITIONAL) if (h.has(name)) return null;
    if (e.negotiates && h.has("accept-encoding")) return null;
    return new Response(req.method === "HEAD" ? null : e.bytes, { headers: e.headers });
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
    if (this.#entries.size >= this.max) this.#entries.clear();
    this.#entries.set(raw, {
      path,
      dev: info.dev,
      ino: info.ino,
      size: info.size,
      mtimeMs: info.mtime?.getTime() ?? null,
      headers,
      bytes,
      negotiates,
    });
  }
}
