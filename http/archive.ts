/**
 * A folder downloaded as one archive (`?archive=zip` or `?archive=tar.gz`
 * on a folder URL): the folder is walked through the library's door (hidden
 * names, netkit's temp files and symlinks out of the root are left out, as in
 * listings) and streamed entry by entry, so nothing is built in memory or on
 * disk and a slow client slows the walk.
 *
 * @module
 */

import { NetkitError } from "../core/errors.ts";
import type { Library } from "../core/library/library.ts";
import type { ArchiveEntry } from "./archive_entry.ts";
import type { Layer } from "./handler.ts";
import { parseUrlPath, rawPathOf } from "./url_path.ts";
import { tarStream } from "./tar.ts";
import { zipChunks } from "./zip.ts";

/** The archive formats offered. */
export type ArchiveFormat = "zip" | "tar.gz";

/** How a walk is bounded. */
export interface WalkOptions {
  /**
   * Most entries in one archive (the zip central directory is kept in memory
   * until the end, about 250 bytes an entry); past it the stream fails
   * rather than end as a silently incomplete archive. @default 200000
   */
  maxEntries?: number;
  /** Which entries go in (by their segments under the root); a folder left out is not walked. @default all */
  include?: (segments: readonly string[], dir: boolean) => boolean;
}

/** The format asked for by a query string, or null when none (or unknown). */
export function archiveFormat(search: string): ArchiveFormat | null {
  const v = new URLSearchParams(search).get("archive");
  return v === "zip" || v === "tar.gz" ? v : null;
}

/**
 * Walks the folder at `segments` depth first in name order, yielding
 * folders before their contents. A folder reached twice (through links) is
 * walked once.
 */
export async function* walkFolder(
  library: Library,
  segments: string[],
  o: WalkOptions = {},
): AsyncGenerator<ArchiveEntry> {
  const seen = new Set<string>();
  let count = 0;
  const max = o.maxEntries ?? 200_000;
  async function* walk(rel: string[]): AsyncGenerator<ArchiveEntry> {
    let dir;
    let entries;
    try {
      dir = await library.stat([...segments, ...rel]);
      if (seen.has(dir.real)) return;
      seen.add(dir.real);
      entries = await library.list([...segments, ...rel]);
    } catch {
      return; // gone, or unreadable: left out
    }
    for (const { name: n, info } of entries) {
      if (count >= max) {
        throw new NetkitError("TOO_LARGE", `more than ${max} entries: too many for one archive`);
      }
      const path = [...rel, n];
      if (o.include && !o.include([...segments, ...path], info.isDirectory)) continue;
      count++;
      const entry: ArchiveEntry = {
        name: path.join("/"),
        dir: info.isDirectory,
        size: info.isFile ? info.size : 0,
        mtimeMs: info.mtime?.getTime() ?? 0,
        mode: info.mode ?? (info.isDirectory ? 0o755 : 0o644),
        open: () => Promise.resolve(library.openRead([...segments, ...path]).file.readable),
      };
      yield entry;
      if (info.isDirectory) yield* walk(path);
    }
  }
  yield* walk([]);
}

/** `CompressionStream`, typed as the byte transform it is. */
type GzipStream = TransformStream<Uint8Array, Uint8Array>;

function disposition(base: string): string {
  const ascii = base.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`;
}

/**
 * The entries that go into the archive `req` asked for: made once per
 * archive, so what holds for the whole request is found once.
 */
export type ArchiveFilter = (req: Request) => NonNullable<WalkOptions["include"]>;

/**
 * The archive layer: a GET or HEAD of a folder URL (ending in `/`) with
 * `?archive=zip` or `?archive=tar.gz` is answered with the streamed archive
 * of what `include` lets the sender see; everything else (bad paths
 * included, for the usual 400, 403 or 404) goes to the handler inside.
 */
export function archiveLayer(
  library: Library,
  common: [string, string][],
  include?: ArchiveFilter,
): Layer {
  return (next) => (req, peer) => {
    const url = req.url;
    if ((req.method !== "GET" && req.method !== "HEAD") || !url.includes("archive=")) {
      return next(req, peer);
    }
    const format = archiveFormat(url.slice(url.indexOf("?")));
    if (format === null) return next(req, peer);
    try {
      const path = parseUrlPath(rawPathOf(url));
      if (!path.slash || (path.hidden && !library.hidden)) return next(req, peer);
      if (!library.find(path.segments).info.isDirectory) return next(req, peer);
      return archiveResponse(library, path.segments, format, req, common, {
        include: include?.(req),
      });
    } catch {
      return next(req, peer);
    }
  };
}

/**
 * The streamed archive response for the folder at `segments` (already known
 * to be a folder inside the root).
 */
export function archiveResponse(
  library: Library,
  segments: string[],
  format: ArchiveFormat,
  req: Request,
  common: [string, string][],
  o: WalkOptions = {},
): Response {
  const base = `${segments.at(-1) ?? "files"}.${format}`;
  const headers: [string, string][] = [
    ...common,
    ["content-type", format === "zip" ? "application/zip" : "application/gzip"],
    ["content-disposition", disposition(base)],
    ["cache-control", "no-store"],
  ];
  if (req.method === "HEAD") return new Response(null, { headers });
  const entries = walkFolder(library, segments, o);
  const body = format === "zip"
    ? ReadableStream.from(zipChunks(entries))
    : tarStream(entries).pipeThrough(new CompressionStream("gzip") as GzipStream);
  return new Response(body, { headers });
}
