/**
 * The two data paths of the file protocol, shared by server and client:
 * sending a file region as DATA frames followed by END, and receiving DATA
 * frames into a writer until END. Both hash as they go and overlap disk and
 * network work with two buffers, allocating nothing per chunk.
 *
 * @module
 */

import { transferBuffers } from "./buffer_pool.ts";
import { ProtocolError } from "../errors.ts";
import { HEADER_SIZE } from "./frame.ts";
import type { FrameReader, FrameWriter } from "./frame_stream.ts";
import type { Message } from "./messages.ts";

/** An incremental hash, fed with the bytes as they pass. */
export interface Hasher {
  /** Feeds bytes; the caller may reuse `bytes` after the call returns. */
  update(bytes: Uint8Array): void;
  /** The digest of everything fed so far. */
  digest(): Uint8Array;
}

/**
 * Where a transfer's digest comes from: a {@linkcode Hasher}, or a job
 * elsewhere (another core) that delivers the digest at the end.
 */
export interface DigestSource {
  /** Feeds bytes (ignored by sources that hash elsewhere). */
  update(bytes: Uint8Array): void;
  /** The digest, once every byte has passed. */
  digest(): Uint8Array | Promise<Uint8Array>;
}

/** Something file-like to read from. */
export interface ReadableFile {
  read(p: Uint8Array): Promise<number | null>;
}

/** Progress callback: bytes moved so far in this transfer. */
export type OnProgress = (done: number) => void;

/** Fills `buf` from `file` as far as it goes; returns the bytes read. */
export async function readFull(file: ReadableFile, buf: Uint8Array): Promise<number> {
  let at = 0;
  while (at < buf.length) {
    const n = await file.read(buf.subarray(at));
    if (n === null) break;
    at += n;
  }
  return at;
}

/**
 * Hashes the first `length` bytes of `file` (the part of a file a resumed
 * transfer does not send again), leaving the file positioned after them.
 */
export async function hashPrefix(
  file: ReadableFile,
  length: number,
  hasher: Hasher,
): Promise<void> {
  const buf = new Uint8Array(Math.min(length, 1 << 20));
  let left = length;
  while (left > 0) {
    const n = await readFull(file, buf.subarray(0, Math.min(left, buf.length)));
    if (n === 0) {
      throw new ProtocolError("SIZE_MISMATCH", "file is shorter than expected");
    }
    hasher.update(buf.subarray(0, n));
    left -= n;
  }
}

/** Options of {@linkcode sendData}. */
export interface SendOptions {
  /** Largest DATA payload to send. */
  chunk: number;
  /** Hashes what is sent; `null` when the digest is already known. */
  hasher: Hasher | null;
  /** Called as bytes go out. */
  onProgress?: OnProgress;
  /** Stops the transfer early when aborted. */
  signal?: AbortSignal;
}

/**
 * Sends exactly `length` bytes of `file` from its current position as DATA
 * frames. Reading the next chunk overlaps with sending the last.
 *
 * @throws {ProtocolError} `SIZE_MISMATCH` when the file ends early
 */
export async function sendData(
  file: ReadableFile,
  length: number,
  writer: FrameWriter,
  options: SendOptions,
): Promise<void> {
  const size = Math.max(1, Math.min(options.chunk, length));
  let cur = transferBuffers.take(HEADER_SIZE + size);
  let next = length > size ? transferBuffers.take(HEADER_SIZE + size) : cur;
  let left = length;
  let sent = 0;
  const read = async (buf: Uint8Array) => {
    const want = Math.min(left, size);
    const n = await readFull(file, buf.subarray(HEADER_SIZE, HEADER_SIZE + want));
    if (n < want) {
      throw new ProtocolError("SIZE_MISMATCH", "file shrank while being sent");
    }
    options.hasher?.update(buf.subarray(HEADER_SIZE, HEADER_SIZE + n));
    left -= n;
    return n;
  };
  let n = left > 0 ? await read(cur) : 0;
  while (n > 0) {
    options.signal?.throwIfAborted();
    const writing = writer.sendData(cur, n);
    writing.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
    let m = 0;
    try {
      m = left > 0 ? await read(next) : 0;
    } finally {
      await writing;
    }
    sent += n;
    options.onProgress?.(sent);
    [cur, next] = [next, cur];
    n = m;
  }
  // Every write has completed: the buffers can serve the next transfer.
  transferBuffers.give(cur);
  if (next !== cur) transferBuffers.give(next);
}

/** Where received bytes go. */
export interface ByteWriter {
  write(bytes: Uint8Array): Promise<void>;
}

/** Options of {@linkcode receiveData}. */
export interface ReceiveOptions {
  /** Largest DATA payload the peer may send. */
  maxFrame: number;
  /** Hashes what arrives (or delivers the digest from elsewhere). */
  hasher: DigestSource;
  /** Called as bytes arrive. */
  onProgress?: OnProgress;
  /**
   * Called once, at once, when `out` fails, so the sender can be told to stop
   * early; the rest of its DATA is then dropped until END.
   */
  onWriteError?: (e: ProtocolError) => Promise<void>;
}

/** The result of {@linkcode receiveData}. */
export type Received =
  | { ok: true; digest: Uint8Array }
  | { ok: false; error: ProtocolError; reported: boolean };

/**
 * Receives exactly `length` bytes of DATA into `out`, then the END frame with
 * the sender's digest, and checks the digest against `hasher`.
 *
 * When `out` fails (a full disk, say) the rest of the DATA is read and
 * dropped, so the stream stays in step, and the failure is returned. An ERROR
 * from the sender ends the transfer with that error.
 *
 * @throws {ProtocolError} `BAD_FRAME` when the sender breaks the protocol
 *   (more or fewer bytes than announced, an unexpected frame); the stream is
 *   then out of step and must be closed
 */
export async function receiveData(
  reader: FrameReader,
  length: number,
  out: ByteWriter,
  options: ReceiveOptions,
): Promise<Received> {
  // Two buffers whenever more than one frame can come (compared with the
  // size asked for, not the pool's rounded-up capacity): the next frame is
  // read while the last one's write may still be in flight.
  const size = Math.max(1, Math.min(options.maxFrame, length));
  let a: Uint8Array<ArrayBuffer> = transferBuffers.take(size);
  let b = length > size ? transferBuffers.take(size) : a;
  let got = 0;
  let failure: ProtocolError | null = null;
  let reported = false;
  let writing: Promise<void> = Promise.resolve();
  const settle = async () => {
    try {
      await writing;
    } catch (e) {
      writing = Promise.resolve();
      if (failure) return;
      failure = e instanceof Error && typeof (e as { code?: unknown }).code === "string"
        ? new ProtocolError((e as ProtocolError).code, e.message, { cause: e })
        : new ProtocolError(
          "INTERNAL",
          `write failed: ${(e as Error).message ?? e}`,
        );
      if (options.onWriteError) {
        reported = true;
        await options.onWriteError(failure);
      }
    }
    writing = Promise.resolve();
  };
  try {
    while (true) {
      const frame: Message | { type: "DATA"; length: number } | null = await reader.next();
      if (frame === null) {
        throw new ProtocolError("CLOSED", "connection closed during transfer");
      }
      if (frame.type === "DATA") {
        if (got + frame.length > length) {
          throw new ProtocolError(
            "BAD_FRAME",
            `more data than the ${length} bytes announced`,
          );
        }
        if (frame.length > a.length) a = new Uint8Array(frame.length);
        const view = a.subarray(0, frame.length);
        await reader.readData(view);
        got += frame.length;
        if (failure) continue;
        options.hasher.update(view);
        await settle();
        if (failure) continue;
        writing = out.write(view);
        writing.catch(() => {}); // handled in settle(); never an unhandled rejection meanwhile
        options.onProgress?.(got);
        [a, b] = [b, a];
      } else if (frame.type === "END") {
        await settle();
        if (failure) return { ok: false, error: failure, reported };
        if (got !== length) {
          throw new ProtocolError(
            "BAD_FRAME",
            `got ${got} of the ${length} bytes announced`,
          );
        }
        const digest = await options.hasher.digest();
        if (!sameBytes(digest, frame.digest)) {
          return {
            ok: false,
            error: new ProtocolError(
              "CHECKSUM_MISMATCH",
              "checksum mismatch: data was corrupted",
            ),
            reported: false,
          };
        }
        return { ok: true, digest };
      } else if (frame.type === "ERROR") {
        await settle();
        return {
          ok: false,
          error: new ProtocolError(frame.code, frame.message),
          reported: false,
        };
      } else {
        throw new ProtocolError(
          "BAD_FRAME",
          `unexpected ${frame.type} during a transfer`,
        );
      }
    }
  } finally {
    await settle();
    // No write is in flight any more: the buffers can serve the next transfer.
    transferBuffers.give(a);
    if (b !== a) transferBuffers.give(b);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
