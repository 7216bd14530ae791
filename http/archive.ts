/**
 * A folder downloaded as one archive (`?archive=zip` or `?archive=tar.gz`
 * on a folder URL): the folder is walked through the root jail (hidden
 * names, netkit's temp files and symlinks out of the root are left out, as in
 * listings) and streamed entry by entry, so nothing is built in memory or on
 * disk and a slow client slows the walk.
 *
 * @module
 */

import { NetkitError } from "../core/errors.ts";
import { isVisibleName } from "../core/jail.ts";
import { openInside, resolveInside } from "../core/jail_fs.ts";
import type { ArchiveEntry } from "./archive_entry.ts";
import { tarChunks } from "./tar.ts";
import { zipChunks } from "./zip.ts";

/** The archive formats offered. */
export type ArchiveFormat = "zip" | "tar.gz";

/** How a walk treats names and links. */
export interface WalkOptions {
  /** Include dot-names. */
  hidden: boolean;
  /** Follow symlinks out of the root. */
  followSymlinks: boolean;
  /**
   * Most entries in one archive (the zip central directory is kept in memory
   * until the end, about 250 bytes an entry); past it the stream fails
   * rather than end as a silently incomplete archive. @default 200000
   */
  maxEntries?: number;
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
  root: string,
  segments: string[],
  o: WalkOptions,
): AsyncGenerator<ArchiveEntry> {
  const seen = new Set<string>();
  let count = 0;
  const max = o.maxEntries ?? 200_000;
  async function* walk(rel: string[]): AsyncGenerator<ArchiveEntry> {
    let dir;
    try {
      dir = await resolveInside(root, [...segments, ...rel], o);
    } catch {
      return;
    }
    if (seen.has(dir.real)) return;
    seen.add(dir.real);
    const names: string[] = [];
    try {
      for await (const e of Deno.readDir(dir.real)) {
        if (isVisibleName(e.name, o.hidden)) names.push(e.name);
      }
    } catch {
      return; // unreadable: left out
    }
    names.sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
    for (const n of names) {
      if (count >= max) {
        throw new NetkitError("TOO_LARGE", `more than ${max} entries: too many for one archive`);
      }
      const path = [...rel, n];
      let info: Deno.FileInfo;
      try {
        info = (await resolveInside(root, [...segments, ...path], o)).info;
      } catch {
        continue; // a link out of the root, or gone
      }
      if (!info.isFile && !info.isDirectory) continue;
      count++;
      const entry: ArchiveEntry = {
        name: path.join("/"),
        dir: info.isDirectory,
        size: info.isFile ? info.size : 0,
        mtimeMs: info.mtime?.getTime() ?? 0,
        mode: info.mode ?? (info.isDirectory ? 0o755 : 0o644),
        open: () => Promise.resolve(openInside(root, [...segments, ...path], o).file.readable),
      };
      yield entry;
      if (info.isDirectory) yield* walk(path);
    }
  }
  yield* walk([]);
}

function disposition(base: string): string {
  const ascii = base.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`;
}

/**
 * The streamed archive response for the folder at `segments` (already known
 * to be a folder inside the root).
 */
export function archiveResponse(
  root: string,
  segments: string[],
  format: ArchiveFormat,
  o: WalkOptions,
  req: Request,
  common: [string, string][],
): Response {
  const base = `${segments.at(-1) ?? "files"}.${format}`;
  const headers: [string, string][] = [
    ...common,
    ["content-type", format === "zip" ? "application/zip" : "application/gzip"],
    ["content-disposition", disposition(base)],
    ["cache-control", "no-store"],
  ];
  if (req.method === "HEAD") return new Response(null, { headers });
  const entries = walkFolder(root, segments, o);
  const chunks: ReadableStream<Uint8Array> = ReadableStream.from(
    format === "zip" ? zipChunks(entries) : tarChunks(entries),
  );
  const body = format === "zip" ? chunks : chunks.pipeThrough(
    new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  return new Response(body, { headers });
}
