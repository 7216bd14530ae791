/**
 * GET on the file service: a file, or the rest of it from an offset, sent as
 * GET_OK, DATA frames and an END with its digest. A small answer goes out in
 * one write, and is kept, for a whole file, for the next GET of that version;
 * a large file may be hashed on another core while it is sent (`offloadHash`).
 *
 * @module
 */

import { createHasher, type Hasher, type HashName } from "../core/hash/hash.ts";
import { isNetkitError, NetkitError } from "../core/errors.ts";
import type { FileHashJob } from "../core/hash/hash_pool.ts";
import { readFullSync } from "../core/disk_io.ts";
import { transferBuffers } from "../protocol/file/buffer_pool.ts";
import { FrameType, HEADER_SIZE, writeHeader } from "../protocol/file/frame.ts";
import type { FrameWriter } from "../protocol/file/frame_stream.ts";
import { encodeMessage, type Get, type Message } from "../protocol/file/messages.ts";
import { hashPrefix, sendData } from "../protocol/file/data_path.ts";
import { digestKey } from "./digest_cache.ts";
import { offloadHash } from "./options.ts";
import { isDisconnect } from "./request_failure.ts";
import type { SessionContext } from "./session_context.ts";

/** Files up to this size are answered in a single write. */
const SMALL_FILE_BYTES = 256 * 1024;
/** Room for an END frame with the longest digest offered (SHA-256). */
const END_MAX_BYTES = encodeMessage({ type: "END", digest: new Uint8Array(32) }).length;

/**
 * Answers a GET (permission already checked) under the session's `hash`;
 * `moved.bytes` follows the data sent, for the log of a cut transfer.
 *
 * @returns the bytes of file data sent
 * @throws {NetkitError} for a bad name, a missing file, a bad offset, or a
 *   file that failed to read (its ERROR then takes the place of END); a
 *   disconnect as it came
 */
export async function serveGet(
  m: Get,
  ctx: SessionContext,
  writer: FrameWriter,
  hash: HashName,
  moved: { bytes: number },
): Promise<number> {
  const { store } = ctx;
  if (m.offset === 0) {
    const hit = store.cachedReply(m.name, hash);
    if (hit !== null) {
      await writer.sendEncoded(hit.reply);
      return hit.size;
    }
  }
  const { file, info, real } = store.openRead(m.name);
  let job: FileHashJob | null = null;
  try {
    // A resume of another version of the file starts over (If-Range).
    const v = m.ifVersion;
    if (v && (v.size !== info.size || v.mtimeMs !== (info.mtime?.getTime() ?? 0))) {
      m = { ...m, offset: 0 };
    }
    if (m.offset > info.size) {
      throw new NetkitError(
        "BAD_OFFSET",
        `offset ${m.offset} is past the end (${info.size} bytes)`,
      );
    }
    const key = digestKey(info, hash);
    const known = store.digests.get(key);
    let hasher: Hasher | null = null;
    if (!known && offloadHash(ctx.options, info.size, hash)) {
      // A large file is hashed on another core while this one sends it.
      job = ctx.hashPool.hashFile(real, hash, { final: info.size, expect: info });
    } else if (!known) {
      hasher = await createHasher(hash);
      if (m.offset > 0) await hashPrefix(file, m.offset, hasher);
    }
    if (m.offset > 0 && !hasher) await file.seek(m.offset, Deno.SeekMode.Start);
    const ok: Message = {
      type: "GET_OK",
      size: info.size,
      offset: m.offset,
      mtimeMs: info.mtime?.getTime() ?? 0,
    };
    const length = info.size - m.offset;
    if (!job && length <= SMALL_FILE_BYTES) {
      // A small file goes out as GET_OK, DATA and END in one write, read
      // straight into that one buffer (a local read of this size takes
      // microseconds; an async op would cost more than the copy).
      const head = encodeMessage(ok);
      const out = transferBuffers.take(head.length + HEADER_SIZE + length + END_MAX_BYTES);
      out.set(head);
      writeHeader(out, FrameType.DATA, length, head.length);
      const dataAt = head.length + HEADER_SIZE;
      const data = out.subarray(dataAt, dataAt + length);
      if (readFullSync(file, data) < length) {
        throw new NetkitError("SIZE_MISMATCH", "file shrank while being sent");
      }
      hasher?.update(data);
      const digest = known ?? hasher!.digest();
      store.digests.set(key, digest);
      const end = encodeMessage({ type: "END", digest });
      out.set(end, dataAt + length);
      const reply = out.subarray(0, dataAt + length + end.length);
      await writer.sendEncoded(reply);
      if (m.offset === 0) store.keepReply(m.name, real, hash, info, reply);
      transferBuffers.give(out); // written: nothing holds it any more
      return length;
    }
    await writer.send(ok);
    try {
      await sendData(file, length, writer, {
        chunk: ctx.options.maxFrame,
        hasher,
        onProgress: (n) => moved.bytes = n,
      });
    } catch (e) {
      // Mid-stream failures (a file that shrank, a read error) become an ERROR frame in place of END.
      if (isNetkitError(e) || isDisconnect(e)) throw e;
      throw new NetkitError("INTERNAL", `read failed: ${(e as Error).message}`);
    }
    const digest = known ??
      (job
        ? await job.finish(info.size).catch(() => hashAgain(file, info.size, hash))
        : hasher!.digest());
    job = null;
    store.digests.set(key, digest);
    await writer.send({ type: "END", digest });
    return length;
  } finally {
    job?.cancel();
    file.close();
  }
}

/**
 * The digest of the open `file`, read again from its start: when the hash
 * Worker, which opens the file by name, found another version there (the
 * file was replaced after it was opened here, on this host or another).
 */
async function hashAgain(file: Deno.FsFile, size: number, hash: HashName): Promise<Uint8Array> {
  const hasher = await createHasher(hash);
  await file.seek(0, Deno.SeekMode.Start);
  await hashPrefix(file, size, hasher);
  return hasher.digest();
}
