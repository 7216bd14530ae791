/**
 * The tar stream of a folder archive. The format is `modern-tar`'s (POSIX
 * ustar, with pax records for names too long for ustar and for sizes of
 * 8 GiB or more); gzip is applied by the caller through `CompressionStream`.
 * It replaced netkit's own ustar and pax writer: a zero-dependency web-streams
 * library whose header code has had more readers than ours, and the archive
 * streams as fast (gzip is the bound either way) and holds no more per
 * download (docs/BENCHMARKS.md, "Folder archives").
 *
 * modern-tar's packer queues up to 8 MiB of output before it pushes back on
 * its writer, and that size cannot be set. Left alone, every archive being
 * downloaded would hold that much, a slow client's most of all. So the
 * packer's output is moved at once into this module's own stream, and the
 * next chunk of a file is written only while that stream wants more: what
 * one archive holds stays near {@linkcode AHEAD} bytes.
 *
 * @module
 */

import { createTarPacker } from "modern-tar";
import { type ArchiveEntry, exactly } from "./archive_entry.ts";
import { safeArchiveName } from "./archive_name.ts";

/**
 * Bytes of output one archive may hold ahead of its reader. Small: gzip
 * and the connection queue more behind it for a slow client, and a larger
 * value measured more memory per slow download and no more speed.
 */
export const AHEAD = 64 * 1024;
/** Latest mtime the 11-digit octal field holds, in seconds. */
const MAX_MTIME_S = 8 ** 11 - 1;

/**
 * Writes `entries` as one tar stream (not yet compressed), each name made
 * safe by {@linkcode safeArchiveName}, each file opened only when its turn
 * comes. Cancelling the stream stops the walk and closes the open file; an
 * error of the walk errors the stream, so an archive never ends early
 * looking whole.
 */
export function tarStream(entries: AsyncIterable<ArchiveEntry>): ReadableStream<Uint8Array> {
  const { readable, controller: packer } = createTarPacker();
  let out!: ReadableStreamDefaultController<Uint8Array>;
  let stopped = false;
  let wake = () => {};
  const output = new ReadableStream<Uint8Array>({
    start: (c) => void (out = c),
    pull: () => wake(),
    cancel(reason) {
      stopped = true;
      packer.error(reason);
      wake();
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: AHEAD }));
  /** Resolves when the reader wants more; throws once it has gone. */
  const wanted = async () => {
    while (!stopped && (out.desiredSize ?? 0) <= 0) await new Promise<void>((r) => wake = r);
    if (stopped) throw new Error("the archive's reader went away");
  };

  (async () => {
    for await (const chunk of readable) out.enqueue(chunk);
    out.close();
  })().catch((err) => out.error(err));

  (async () => {
    for await (const e of entries) {
      await wanted();
      const name = safeArchiveName(e.name);
      const seconds = Math.min(Math.max(Math.floor(e.mtimeMs / 1000), 0), MAX_MTIME_S);
      const body = packer.add({
        name: e.dir ? `${name}/` : name,
        type: e.dir ? "directory" : "file",
        size: e.dir ? 0 : e.size,
        mode: e.mode & 0o7777,
        mtime: new Date(seconds * 1000),
      }).getWriter();
      if (!e.dir) {
        for await (const chunk of exactly(await e.open(), e.size)) {
          await wanted();
          await body.write(chunk);
        }
      }
      await body.close();
    }
    packer.finalize();
  })().catch((err) => packer.error(err));
  return output;
}
