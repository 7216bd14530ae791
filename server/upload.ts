/**
 * PUT and CANCEL on the file service: an upload received into a temp file
 * (or, to resume, into the part file an earlier attempt left), checked
 * against the client's digest and published whole; and CANCEL, which drops
 * the part files of a resumable upload given up.
 *
 * @module
 */

import { createHasher, type HashName } from "../core/hash/hash.ts";
import { NetkitError } from "../core/errors.ts";
import { type ChunkWriter, type FileHashJob, followWrites } from "../core/hash/hash_pool.ts";
import type { UploadResult } from "../core/ops/service_metrics.ts";
import type { FrameReader, FrameWriter } from "../protocol/file/frame_stream.ts";
import { errorMessage, type Put, PutFlag } from "../protocol/file/messages.ts";
import { type DigestSource, hashPrefix, receiveData } from "../protocol/file/data_path.ts";
import { digestKey } from "./digest_cache.ts";
import { offloadHash } from "./options.ts";
import { Reported } from "./request_failure.ts";
import type { SessionContext } from "./session_context.ts";

/**
 * Answers a PUT (permission already checked) under the session's `hash`,
 * counting its outcome in the metrics; `moved.bytes` follows the data
 * received, for the log of a cut transfer.
 *
 * @returns the bytes of file data received
 * @throws {NetkitError} when the upload is refused or fails; {@linkcode Reported}
 *   when the client was already sent the ERROR
 */
export async function servePut(
  m: Put,
  ctx: SessionContext,
  reader: FrameReader,
  writer: FrameWriter,
  hash: HashName,
  moved: { bytes: number },
): Promise<number> {
  let outcome: UploadResult = "refused";
  try {
    const bytes = await receiveUpload(m, ctx, reader, writer, hash, (o) => outcome = o, moved);
    outcome = "verified";
    return bytes;
  } finally {
    ctx.metrics?.upload(outcome);
  }
}

/** Serves a PUT; `stage` hears when the data begins and when it fails its check. */
async function receiveUpload(
  m: Put,
  ctx: SessionContext,
  reader: FrameReader,
  writer: FrameWriter,
  hash: HashName,
  stage: (outcome: UploadResult) => void,
  moved: { bytes: number },
): Promise<number> {
  const { store, options } = ctx;
  if (options.readOnly) {
    throw new NetkitError("READ_ONLY", "this library is read-only");
  }
  if (m.size > options.maxUpload) {
    throw new NetkitError(
      "TOO_LARGE",
      `upload of ${m.size} bytes exceeds the limit of ${options.maxUpload}`,
    );
  }
  const overwrite = (m.flags & PutFlag.OVERWRITE) !== 0;
  const resume = (m.flags & PutFlag.RESUME) !== 0;
  await using upload = await store.createUpload(
    m.name,
    overwrite,
    resume ? m.size : null,
    m.version,
  );
  let out: ChunkWriter = upload;
  let source: DigestSource;
  let job: FileHashJob | null = null;
  if (offloadHash(options, m.size, hash)) {
    // Hashed on another core, following the temp file as it is written.
    job = ctx.hashPool.hashFile(upload.tempPath, hash, { ready: upload.offset });
    ({ out, source } = followWrites(job, upload.offset, m.size, upload));
  } else {
    const hasher = await createHasher(hash);
    if (upload.offset > 0) await hashPrefix(upload.file, upload.offset, hasher);
    source = hasher;
  }
  if (job && upload.offset > 0) await upload.file.seek(upload.offset, Deno.SeekMode.Start);
  await writer.send({ type: "PUT_READY", offset: upload.offset });
  stage("abandoned");
  let result;
  try {
    result = await receiveData(reader, m.size - upload.offset, out, {
      maxFrame: options.maxFrame,
      hasher: source,
      onProgress: (n) => moved.bytes = n,
      // The temp file goes before the client hears of the failure, so what
      // it sees next (a listing, say) never holds half an upload.
      onWriteError: async (e) => {
        await upload.abort();
        await writer.send(errorMessage(e));
      },
    });
  } finally {
    job?.cancel();
  }
  if (!result.ok) {
    // Corrupt bytes must not be resumed from: drop the part file too.
    if (result.error.code === "CHECKSUM_MISMATCH") {
      stage("checksum_mismatch");
      await upload.abort(true);
    }
    throw result.reported ? new Reported(result.error) : result.error;
  }
  // Keyed by the published file itself: its name may already lead to
  // another host's upload.
  const published = await upload.commit(overwrite);
  store.digests.set(digestKey(published, hash), result.digest);
  await writer.send({ type: "PUT_OK", size: m.size, digest: result.digest });
  return m.size - upload.offset;
}

/**
 * Answers a CANCEL (permission already checked): drops what the server kept
 * of broken resumable uploads to `name`.
 *
 * @returns how many part files were removed
 */
export async function serveCancel(name: string, ctx: SessionContext): Promise<number> {
  if (ctx.options.readOnly) throw new NetkitError("READ_ONLY", "this library is read-only");
  return await ctx.store.library.cancelUpload([ctx.store.check(name)]);
}
