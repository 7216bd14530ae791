/**
 * Uploads over a greeted connection, verified end to end: the file is sent
 * from where the server's part file ends (a resume), hashed inline or by a
 * Worker, and appears on the server only once complete and verified. An
 * early error from the server (a full disk, say) stops the sending.
 *
 * @module
 */

import { createHasher, type Hasher } from "../core/hash/hash.ts";
import { isNetkitError, NetkitError } from "../core/errors.ts";
import type { Incoming } from "../protocol/file/frame_stream.ts";
import { Feature, type Message, PutFlag } from "../protocol/file/messages.ts";
import { hashPrefix, sendData } from "../protocol/file/data_path.ts";
import type { FileHashJob } from "../core/hash/hash_pool.ts";
import { openLocalFile } from "../core/cli/local_file.ts";
import { type Channel, type Progress, type TransferResult, unexpected } from "./channel.ts";

/** Options of `FileClient.upload`. */
export interface UploadOptions {
  /** Replace a file of the same name on the server. @default false */
  overwrite?: boolean;
  /**
   * Continue what an earlier broken upload of this name and size left on the
   * server (and let the server keep this attempt's bytes if it breaks too).
   * @default false
   */
  resume?: boolean;
  /** Called as bytes go out. */
  onProgress?: (p: Progress) => void;
}

/**
 * Uploads the local file `path` as `name`, verified end to end.
 *
 * @throws {NetkitError} `CHECKSUM_MISMATCH` (a resumed file changed since
 *   the broken upload); `INTERNAL` when the local file cannot be read; or
 *   the server's error
 */
export async function uploadFile(
  ch: Channel,
  path: string,
  name: string,
  options: UploadOptions = {},
): Promise<TransferResult> {
  const { file, info } = await openLocalFile(path);
  using _file = file;
  const size = info.size;
  // The part file a server keeps is tied to this version of the file.
  const version = options.resume && (ch.welcome.features & Feature.RESUME_CHECK) !== 0
    ? info.mtime?.getTime() ?? 0
    : undefined;
  await ch.writer.send({
    type: "PUT",
    name,
    size,
    flags: (options.overwrite ? PutFlag.OVERWRITE : 0) |
      (options.resume ? PutFlag.RESUME : 0),
    version,
  });
  const ready = await ch.reader.next();
  if (ready?.type !== "PUT_READY") throw unexpected(ready, "PUT_READY");
  const offset = ready.offset;
  if (offset > size || (offset > 0 && !options.resume)) {
    throw new NetkitError("BAD_FRAME", `server asked to resume at ${offset} of ${size}`);
  }
  let hasher: Hasher | null = null;
  let job: FileHashJob | null = null;
  if (size >= ch.offloadMin) {
    // Hashed on another core while this one sends.
    job = ch.pool.hashFile(path, ch.hash, { final: size, expect: await file.stat() });
    if (offset > 0) await file.seek(offset, Deno.SeekMode.Start);
  } else {
    hasher = await createHasher(ch.hash);
    if (offset > 0) await hashPrefix(file, offset, hasher);
  }
  using _cancel = { [Symbol.dispose]: () => job?.cancel() };
  // Watch for an early ERROR (a full disk, say) while sending.
  const stop = new AbortController();
  const answer = ch.reader.next().then((m) => {
    stop.abort();
    return m;
  }, (e) => {
    stop.abort();
    throw e;
  });
  answer.catch(() => {});
  try {
    await sendData(file, size - offset, ch.writer, {
      chunk: ch.welcome.maxFrame,
      hasher,
      signal: stop.signal,
      onProgress: (n) => options.onProgress?.({ done: offset + n, total: size, start: offset }),
    });
  } catch (e) {
    if (!stop.signal.aborted) {
      // A local read failure: tell the server to drop the upload.
      await ch.writer.send({ type: "ERROR", code: "INTERNAL", message: String(e) });
      await answer.catch(() => {});
      throw isNetkitError(e) ? e : new NetkitError("INTERNAL", `cannot read ${path}: ${e}`);
    }
  }
  if (stop.signal.aborted) {
    // The server answered early: end the transfer so the stream stays in step.
    const early = await answer;
    await ch.writer.send({ type: "END", digest: new Uint8Array(0) });
    throw unexpected(early, "PUT_OK");
  }
  const digest = job ? await job.finish(size) : hasher!.digest();
  job = null;
  await ch.writer.send({ type: "END", digest });
  const done: Message | Incoming | null = await answer;
  if (done?.type === "ERROR" && done.code === "CHECKSUM_MISMATCH" && offset > 0) {
    throw new NetkitError(
      "CHECKSUM_MISMATCH",
      `the ${offset} bytes the server kept of ${name} are not the start of ${path} ` +
        "(it changed since the broken upload); the server dropped them: run put again",
    );
  }
  if (done?.type !== "PUT_OK") throw unexpected(done, "PUT_OK");
  return { size, transferred: size - offset, digest, hash: ch.hash };
}
