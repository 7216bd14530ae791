/**
 * The netkit file protocol's framing: every message is one frame, a 5-byte
 * header (type, then payload length as a big-endian u32) followed by exactly
 * that many payload bytes. A reader always knows where a frame ends, however
 * TCP splits or merges the bytes.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";

/** Bytes in a frame header: 1 type byte and a 4-byte payload length. */
export const HEADER_SIZE = 5;

/** Default largest payload a peer accepts (1 MiB). */
export const DEFAULT_MAX_FRAME = 1 << 20;

/** Smallest maximum payload a peer may announce (64 KiB). */
export const MIN_MAX_FRAME = 1 << 16;

/** Largest maximum payload a server may be set to (64 MiB). */
export const MAX_MAX_FRAME = 64 << 20;

/** Frame types. Values are wire constants and never change. */
export const FrameType = {
  HELLO: 0x01,
  WELCOME: 0x02,
  LIST: 0x10,
  LIST_ENTRIES: 0x11,
  GET: 0x20,
  GET_OK: 0x21,
  PUT: 0x22,
  PUT_READY: 0x23,
  PUT_OK: 0x24,
  CANCEL: 0x25,
  CANCEL_OK: 0x26,
  DATA: 0x30,
  END: 0x31,
  QUIT: 0x40,
  BYE: 0x41,
  ERROR: 0x7f,
} as const;

/** One of the numeric frame types in {@linkcode FrameType}. */
export type FrameTypeValue = typeof FrameType[keyof typeof FrameType];

const KNOWN = new Set<number>(Object.values(FrameType));

/** A parsed frame header. */
export interface FrameHeader {
  /** The frame type. */
  type: FrameTypeValue;
  /** Payload length in bytes. */
  length: number;
}

/**
 * Parses a header from the first {@linkcode HEADER_SIZE} bytes of `bytes`.
 *
 * @returns the header, or `null` when fewer than 5 bytes are given
 * @throws {ProtocolError} `BAD_FRAME` for an unknown type or a payload longer than `maxFrame`
 */
export function parseHeader(
  bytes: Uint8Array,
  maxFrame: number,
): FrameHeader | null {
  if (bytes.length < HEADER_SIZE) return null;
  const type = bytes[0];
  const length = ((bytes[1] << 24) | (bytes[2] << 16) | (bytes[3] << 8) | bytes[4]) >>> 0;
  if (!KNOWN.has(type)) {
    throw new ProtocolError(
      "BAD_FRAME",
      `unknown frame type 0x${type.toString(16).padStart(2, "0")}`,
    );
  }
  if (length > maxFrame) {
    throw new ProtocolError(
      "BAD_FRAME",
      `frame of ${length} bytes exceeds the limit of ${maxFrame}`,
    );
  }
  return { type: type as FrameTypeValue, length };
}

/** Writes a header for `type` and `length` into `target` at `offset`. */
export function writeHeader(
  target: Uint8Array,
  type: FrameTypeValue,
  length: number,
  offset = 0,
): void {
  if (!Number.isInteger(length) || length < 0 || length > 0xffffffff) {
    throw new RangeError(`frame length out of range: ${length}`);
  }
  target[offset] = type;
  target[offset + 1] = length >>> 24;
  target[offset + 2] = (length >>> 16) & 0xff;
  target[offset + 3] = (length >>> 8) & 0xff;
  target[offset + 4] = length & 0xff;
}

/** Encodes one whole frame: header and payload in a new buffer. */
export function encodeFrame(
  type: FrameTypeValue,
  payload: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  writeHeader(out, type, payload.length);
  out.set(payload, HEADER_SIZE);
  return out;
}
