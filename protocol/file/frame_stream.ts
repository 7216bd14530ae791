/**
 * Stream adapters for the framing: {@linkcode FrameReader} pulls frames from
 * any byte source (a `Deno.Conn` fits) and {@linkcode FrameWriter} pushes them
 * to any byte sink. While idle a reader holds only a small header buffer;
 * DATA payloads are read straight into the caller's buffer, so the hot path
 * allocates nothing per chunk.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { DEFAULT_MAX_FRAME, FrameType, HEADER_SIZE, parseHeader, writeHeader } from "./frame.ts";
import { decodeMessage, encodeMessage, type Message } from "./messages.ts";

/** Anything with `read` in the manner of `Deno.Reader`. */
export interface ByteSource {
  /** Reads up to `p.length` bytes; `null` at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
}

/** Anything with `write` in the manner of `Deno.Writer`. */
export interface ByteSink {
  /** Writes some prefix of `p`, returning how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
}

/** A DATA frame whose `length` payload bytes the caller must read next. */
export interface DataFrame {
  type: "DATA";
  length: number;
}

/** What {@linkcode FrameReader.next} yields: a control message or a DATA header. */
export type Incoming = Message | DataFrame;

/** Bytes a reader buffers for headers; kept small so idle connections stay cheap. */
const LOOKAHEAD = 64;

/** Pulls frames from a byte source, enforcing the frame size limit before buffering. */
export class FrameReader {
  readonly #src: ByteSource;
  #maxFrame: number;
  readonly #buf = new Uint8Array(LOOKAHEAD);
  #start = 0;
  #end = 0;
  #pending = 0;

  /**
   * @param src where bytes come from
   * @param maxFrame the largest payload accepted; larger frames are a `BAD_FRAME`
   */
  constructor(src: ByteSource, maxFrame = DEFAULT_MAX_FRAME) {
    this.#src = src;
    this.#maxFrame = maxFrame;
  }

  /** Sets the largest payload accepted from now on (e.g. once WELCOME announces the peer's). */
  setMaxFrame(maxFrame: number): void {
    this.#maxFrame = maxFrame;
  }

  /**
   * The look-ahead buffer to read the next frame's first bytes into, or
   * `null` when some are buffered already (or a DATA payload is unread).
   * While waiting for a frame, a caller can keep one `read` of its own
   * pending into this buffer instead of a suspended `next()`: no promise
   * and no suspended function of the reader's stay alive while the peer is
   * silent. Pass what that read returned to {@linkcode FrameReader.received},
   * then call `next`.
   *
   * @example
   * ```ts ignore
   * const idle = reader.idleBuffer();
   * if (idle && !reader.received(await conn.read(idle))) return; // clean end
   * const frame = await reader.next();
   * ```
   */
  idleBuffer(): Uint8Array | null {
    if (this.#end > this.#start || this.#pending > 0) return null;
    this.#start = this.#end = 0;
    return this.#buf;
  }

  /**
   * Records the outcome of a read into {@linkcode FrameReader.idleBuffer}.
   *
   * @param n what the read returned: bytes read, or `null` at end of stream
   * @returns false at a clean end of stream (no frame was started)
   */
  received(n: number | null): boolean {
    if (n === null) return false;
    if (this.#start !== 0 || this.#end + n > this.#buf.length) {
      throw new RangeError("received: no idle buffer was handed out for this read");
    }
    this.#end += n;
    return true;
  }

  /**
   * Reads the next frame.
   *
   * @returns a message, a DATA header (read its payload with
   *   {@linkcode FrameReader.readData}), or `null` at a clean end of stream
   * @throws {ProtocolError} `BAD_FRAME` for malformed input, `CLOSED` when the
   *   stream ends inside a frame
   */
  async next(): Promise<Incoming | null> {
    if (this.#pending > 0) {
      throw new ProtocolError("UNEXPECTED", "previous DATA payload not consumed");
    }
    // The fill is skipped when a header is buffered already: no suspended call for nothing.
    if (this.#end - this.#start < HEADER_SIZE && !(await this.#fill(HEADER_SIZE))) return null;
    const header = parseHeader(
      this.#buf.subarray(this.#start, this.#end),
      this.#maxFrame,
    )!;
    this.#start += HEADER_SIZE;
    if (header.type === FrameType.DATA) {
      this.#pending = header.length;
      return { type: "DATA", length: header.length };
    }
    if (this.#end - this.#start >= header.length) {
      // A small frame read whole with its header (a HELLO, most requests) is
      // decoded in place: no payload copy, no further read. The decoder keeps
      // no view of its input.
      const at = this.#start;
      this.#start += header.length;
      return decodeMessage(header.type, this.#buf.subarray(at, at + header.length));
    }
    const payload = new Uint8Array(header.length);
    await this.#readExact(payload);
    return decodeMessage(header.type, payload);
  }

  /**
   * Reads the whole payload of the DATA frame just returned by `next` into
   * `target`, which must be exactly that long.
   */
  async readData(target: Uint8Array): Promise<void> {
    if (target.length !== this.#pending) {
      throw new RangeError(
        `readData wants ${this.#pending} bytes, got a ${target.length}-byte target`,
      );
    }
    this.#pending = 0;
    await this.#readExact(target);
  }

  /** Ensures `n` bytes are buffered; false on a clean end before any byte. */
  async #fill(n: number): Promise<boolean> {
    if (this.#end - this.#start >= n) return true;
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    while (this.#end < n) {
      const got = await this.#src.read(this.#buf.subarray(this.#end));
      if (got === null) {
        if (this.#end === 0) return false;
        throw new ProtocolError("CLOSED", "connection closed inside a frame");
      }
      this.#end += got;
    }
    return true;
  }

  async #readExact(target: Uint8Array): Promise<void> {
    const buffered = Math.min(this.#end - this.#start, target.length);
    target.set(this.#buf.subarray(this.#start, this.#start + buffered));
    this.#start += buffered;
    let at = buffered;
    while (at < target.length) {
      const got = await this.#src.read(target.subarray(at));
      if (got === null) {
        throw new ProtocolError("CLOSED", "connection closed inside a frame");
      }
      at += got;
    }
  }
}

/** Writes every byte of `bytes` to `sink`, looping over short writes. */
export async function writeAll(
  sink: ByteSink,
  bytes: Uint8Array,
): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await sink.write(bytes.subarray(at));
}

/** Pushes frames to a byte sink. */
export class FrameWriter {
  readonly #sink: ByteSink;

  constructor(sink: ByteSink) {
    this.#sink = sink;
  }

  /** Sends one control message. */
  send(m: Message): Promise<void> {
    return writeAll(this.#sink, encodeMessage(m));
  }

  /** Sends bytes that already hold whole frames, in one write. */
  sendEncoded(bytes: Uint8Array): Promise<void> {
    return writeAll(this.#sink, bytes);
  }

  /**
   * Sends a DATA frame whose payload already sits in `buf` after
   * {@linkcode HEADER_SIZE} bytes of headroom, so header and payload go out
   * in one write without copying.
   *
   * @param buf the buffer, payload at `buf[HEADER_SIZE .. HEADER_SIZE + length]`
   * @param length payload length
   */
  sendData(buf: Uint8Array, length: number): Promise<void> {
    if (length > buf.length - HEADER_SIZE) {
      // The header would announce bytes the buffer does not hold, and the
      // peer would read the next frame's bytes as payload.
      throw new RangeError(
        `sendData: ${length} payload bytes do not fit a ${buf.length}-byte buffer`,
      );
    }
    writeHeader(buf, FrameType.DATA, length);
    return writeAll(this.#sink, buf.subarray(0, HEADER_SIZE + length));
  }
}
