/**
 * Big-endian field encoding for message payloads: fixed-width integers,
 * length-prefixed UTF-8 strings and byte strings. Decoding checks every
 * length against what is left, so truncated or garbage payloads fail with a
 * `BAD_FRAME` error rather than reading past the end.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";

const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF: by default TextDecoder strips it, so the
// name a peer acts on would differ from the name on the wire.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Throws unless `v` is a whole number in `[0, max]`; DataView would wrap it silently. */
function checkUint(v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new RangeError(`field value out of range 0..${max}: ${v}`);
  }
}

/** Appends fields to a growing buffer; {@linkcode FieldWriter.bytes} returns the result. */
export class FieldWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  constructor(capacity = 64) {
    this.#buf = new Uint8Array(capacity);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Makes room for `n` more bytes and returns where they start. */
  #reserve(n: number): number {
    const at = this.#len;
    if (at + n > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, at + n));
      next.set(this.#buf.subarray(0, at));
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    this.#len += n;
    return at;
  }

  // Every write reserves first and only then touches the buffer: in
  // `this.#view.setUint8(this.#reserve(1), v)` the old view would be used
  // after `#reserve` replaced it.

  /** Writes an unsigned 8-bit integer. */
  u8(v: number): this {
    checkUint(v, 0xff);
    const at = this.#reserve(1);
    this.#view.setUint8(at, v);
    return this;
  }
  /** Writes an unsigned 16-bit integer. */
  u16(v: number): this {
    checkUint(v, 0xffff);
    const at = this.#reserve(2);
    this.#view.setUint16(at, v);
    return this;
  }
  /** Writes an unsigned 32-bit integer. */
  u32(v: number): this {
    checkUint(v, 0xffffffff);
    const at = this.#reserve(4);
    this.#view.setUint32(at, v);
    return this;
  }
  /** Writes a non-negative safe integer as an unsigned 64-bit integer. */
  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(`u64 field out of range: ${v}`);
    }
    const at = this.#reserve(8);
    this.#view.setBigUint64(at, BigInt(v));
    return this;
  }
  /** Writes bytes behind a 16-bit length. */
  bytes16(b: Uint8Array): this {
    if (b.length > 0xffff) throw new RangeError("field longer than 65535");
    this.u16(b.length);
    const at = this.#reserve(b.length);
    this.#buf.set(b, at);
    return this;
  }
  /** Writes a UTF-8 string behind a 16-bit byte length. */
  str(s: string): this {
    return this.bytes16(encoder.encode(s));
  }
  /** Writes raw bytes with no length. */
  raw(b: Uint8Array): this {
    const at = this.#reserve(b.length);
    this.#buf.set(b, at);
    return this;
  }
  /** The bytes written so far. */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}

/** Reads fields from a payload; every read is bounds-checked. */
export class FieldReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #at = 0;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  #take(n: number): number {
    const at = this.#at;
    if (at + n > this.#buf.length) {
      throw new ProtocolError("BAD_FRAME", "payload is truncated");
    }
    this.#at += n;
    return at;
  }

  /** Reads an unsigned 8-bit integer. */
  u8(): number {
    return this.#view.getUint8(this.#take(1));
  }
  /** Reads an unsigned 16-bit integer. */
  u16(): number {
    return this.#view.getUint16(this.#take(2));
  }
  /** Reads an unsigned 32-bit integer. */
  u32(): number {
    return this.#view.getUint32(this.#take(4));
  }
  /** Reads an unsigned 64-bit integer; values past 2^53 - 1 are a bad frame. */
  u64(): number {
    const v = this.#view.getBigUint64(this.#take(8));
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ProtocolError("BAD_FRAME", "64-bit field is too large");
    }
    return Number(v);
  }
  /** Reads bytes behind a 16-bit length (a copy, safe to keep). */
  bytes16(): Uint8Array {
    const n = this.u16();
    const at = this.#take(n);
    return this.#buf.slice(at, at + n);
  }
  /** Reads a UTF-8 string behind a 16-bit length; invalid UTF-8 is a bad frame. */
  str(): string {
    const n = this.u16();
    const at = this.#take(n);
    try {
      return decoder.decode(this.#buf.subarray(at, at + n));
    } catch {
      throw new ProtocolError("BAD_FRAME", "string field is not valid UTF-8");
    }
  }
  /** Bytes not read yet: optional fields at a payload's end are read only when present. */
  get left(): number {
    return this.#buf.length - this.#at;
  }
  /** Fails unless every byte was consumed: trailing garbage is a bad frame. */
  /** True when every byte has been read. */
  get atEnd(): boolean {
    return this.#at === this.#buf.length;
  }

  end(): void {
    if (this.#at !== this.#buf.length) {
      throw new ProtocolError("BAD_FRAME", "payload has trailing bytes");
    }
  }
}
