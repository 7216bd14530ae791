/**
 * Downloads over a greeted connection, verified end to end: into a local
 * part file that takes the destination's name only once verified (and that a
 * resume continues, unless the file changed on the server meanwhile), or
 * straight into a stream such as standard output.
 *
 * @module
 */

import { createHasher } from "../core/hash/hash.ts";
import { NetkitError } from "../core/errors.ts";
import { Feature, type SourceVersion } from "../protocol/file/messages.ts";
import { type DigestSource, hashPrefix, receiveData } from "../protocol/file/data_path.ts";
import { FileWriter } from "../core/disk_io.ts";
import { type ChunkWriter, type FileHashJob, followWrites } from "../core/hash/hash_pool.ts";
import { finishPart, openPart, type PartFile } from "./part_file.ts";
import { type Channel, type Progress, type TransferResult, unexpected } from "./channel.ts";

/** Options of `FileClient.download`. */
export interface DownloadOptions {
  /** Continue a part file left by a broken download. @default false */
  resume?: boolean;
  /** Replace an existing local file. @default false */
  overwrite?: boolean;
  /** Flush the file to disk before it takes its name (survives a power cut). @default false */
  sync?: boolean;
  /** Called as bytes arrive. */
  onProgress?: (p: Progress) => void;
}

function sameVersion(a: SourceVersion | null, b: SourceVersion): boolean {
  return a !== null && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/**
 * Downloads `name` into a part file beside `dest`, which takes the name
 * `dest` once verified.
 *
 * @throws {NetkitError} `EXISTS` when `dest` exists and `overwrite` is off;
 *   `CHECKSUM_MISMATCH`; `SIZE_MISMATCH` when a resumed file changed on an
 *   older server (the connection is closed then); or the server's error
 */
export async function downloadFile(
  ch: Channel,
  name: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<TransferResult> {
  const part: PartFile = await openPart(dest, options);
  let keepPart = false;
  let job: FileHashJob | null = null;
  let restarted = false;
  try {
    // A server that checks versions sends the file whole if it changed.
    const checks = (ch.welcome.features & Feature.RESUME_CHECK) !== 0;
    const ifVersion = checks && part.source ? part.source : undefined;
    await ch.writer.send({ type: "GET", name, offset: part.offset, ifVersion });
    const ok = await ch.reader.next();
    if (ok?.type !== "GET_OK") throw unexpected(ok, "GET_OK");
    const now = { size: ok.size, mtimeMs: ok.mtimeMs };
    if (ok.offset !== part.offset && !(ifVersion && ok.offset === 0)) {
      throw new NetkitError("BAD_FRAME", "server ignored the offset");
    }
    if (part.offset > 0 && ok.offset === part.offset && !sameVersion(part.source, now)) {
      // An older server sends what was asked: the stream must be cut.
      ch.close();
      throw new NetkitError(
        "SIZE_MISMATCH",
        `${name} changed on the server since the broken download; ` +
          "the part file was removed: run get again",
      );
    }
    if (ok.offset === 0) {
      restarted = part.offset > 0;
      await part.begin(now);
    }
    const total = ok.size;
    const length = total - ok.offset;
    let out: ChunkWriter = new FileWriter(part.file);
    let source: DigestSource;
    if (total >= ch.offloadMin) {
      // Hashed on another core, following the part file as it is written.
      job = ch.pool.hashFile(part.path, ch.hash, { ready: part.offset });
      ({ out, source } = followWrites(job, part.offset, total, out));
      if (part.offset > 0) await part.file.seek(part.offset, Deno.SeekMode.Start);
    } else {
      const hasher = await createHasher(ch.hash);
      if (part.offset > 0) await hashPrefix(part.file, part.offset, hasher);
      source = hasher;
    }
    keepPart = true;
    const result = await receiveData(ch.reader, length, out, {
      maxFrame: ch.welcome.maxFrame,
      hasher: source,
      onProgress: (n) => options.onProgress?.({ done: ok.offset + n, total, start: ok.offset }),
    });
    if (!result.ok) {
      keepPart = result.error.code !== "CHECKSUM_MISMATCH";
      throw result.error;
    }
    // Verified: whatever goes wrong from here (a folder took the name,
    // say) leaves no part file behind.
    keepPart = false;
    await finishPart(part, dest, options.overwrite ?? false, options.sync ?? false);
    return {
      size: total,
      transferred: length,
      digest: result.digest,
      hash: ch.hash,
      restarted,
    };
  } catch (e) {
    await part.discard(keepPart);
    throw e;
  } finally {
    job?.cancel();
  }
}

/**
 * Streams `name` whole into `out`, checking the digest at the end (see
 * `FileClient.downloadTo`).
 */
export async function downloadStream(
  ch: Channel,
  name: string,
  out: ChunkWriter,
  options: Pick<DownloadOptions, "onProgress"> = {},
): Promise<TransferResult> {
  await ch.writer.send({ type: "GET", name, offset: 0 });
  const ok = await ch.reader.next();
  if (ok?.type !== "GET_OK") throw unexpected(ok, "GET_OK");
  const result = await receiveData(ch.reader, ok.size, out, {
    maxFrame: ch.welcome.maxFrame,
    hasher: await createHasher(ch.hash),
    onProgress: (n) => options.onProgress?.({ done: n, total: ok.size, start: 0 }),
  });
  if (!result.ok && result.error.code === "CHECKSUM_MISMATCH") {
    throw new NetkitError(
      "CHECKSUM_MISMATCH",
      `${name}: checksum mismatch: the bytes already written are corrupt`,
    );
  }
  if (!result.ok) throw result.error;
  return { size: ok.size, transferred: ok.size, digest: result.digest, hash: ch.hash };
}
