/**
 * The TFTP wire format (RFC 1350, with the OACK of RFC 2347): pure encode and
 * decode of RRQ, WRQ, DATA, ACK, ERROR and OACK packets. Decoding checks
 * every length and terminator and fails with a `BAD_FRAME` error on
 * truncated, oversized or garbage input; the transfer layer answers such a
 * packet with TFTP error 4.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";

/** Wire opcodes. */
export const Opcode = {
  RRQ: 1,
  WRQ: 2,
  DATA: 3,
  ACK: 4,
  ERROR: 5,
  OACK: 6,
} as const;

/** TFTP error codes (RFC 1350 and RFC 2347). */
export const TftpErrorCode = {
  NOT_DEFINED: 0,
  FILE_NOT_FOUND: 1,
  ACCESS_VIOLATION: 2,
  DISK_FULL: 3,
  ILLEGAL_OPERATION: 4,
  UNKNOWN_TID: 5,
  FILE_EXISTS: 6,
  NO_SUCH_USER: 7,
  OPTION_REFUSED: 8,
} as const;

/** Smallest and largest block sizes RFC 2348 allows. */
export const MIN_BLKSIZE = 8;
/** The largest block size (RFC 2348): fits an IPv4 UDP datagram. */
export const MAX_BLKSIZE = 65464;
/** The block size when none is negotiated (RFC 1350). */
export const DEFAULT_BLKSIZE = 512;
/** Longest request (RRQ/WRQ) accepted; RFC 2347 asks for 512, real clients stay far below this. */
export const MAX_REQUEST_BYTES = 4608;
/** Most options one request or OACK may carry. */
export const MAX_OPTIONS = 16;
/** Longest option name or value, in bytes. */
export const MAX_OPTION_BYTES = 64;
/** Longest ERROR message kept when decoding (longer ones are cut). */
export const MAX_ERROR_MESSAGE = 512;

/** Transfer modes; `mail` is obsolete and only decoded so it can be refused politely. */
export type TransferMode = "octet" | "netascii" | "mail";

/** A read or write request. Option names are lower-cased; their order is kept. */
export interface RequestPacket {
  op: "RRQ" | "WRQ";
  filename: string;
  mode: TransferMode;
  options: Map<string, string>;
}

/** One block of file data; `data` may be a view into the receive buffer. */
export interface DataPacket {
  op: "DATA";
  block: number;
  data: Uint8Array;
}

/** Acknowledges a block (0 acknowledges a WRQ or an OACK). */
export interface AckPacket {
  op: "ACK";
  block: number;
}

/** Ends a transfer with a reason. */
export interface ErrorPacket {
  op: "ERROR";
  code: number;
  message: string;
}

/** The server's acceptance of some of the requested options (RFC 2347). */
export interface OackPacket {
  op: "OACK";
  options: Map<string, string>;
}

/** Any TFTP packet. */
export type Packet =
  | RequestPacket
  | DataPacket
  | AckPacket
  | ErrorPacket
  | OackPacket;

const encoder = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder("utf-8");

function bad(why: string): ProtocolError {
  return new ProtocolError("BAD_FRAME", `malformed TFTP packet: ${why}`);
}

/** Splits NUL-terminated strings; the input must end with a NUL. */
function splitStrings(bytes: Uint8Array, what: string): string[] {
  if (bytes.length === 0 || bytes[bytes.length - 1] !== 0) {
    throw bad(`${what} is not NUL-terminated`);
  }
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) continue;
    try {
      out.push(strict.decode(bytes.subarray(start, i)));
    } catch {
      throw bad(`${what} is not valid UTF-8`);
    }
    start = i + 1;
  }
  return out;
}

function parseOptions(pairs: string[]): Map<string, string> {
  if (pairs.length % 2 !== 0) throw bad("option without a value");
  if (pairs.length / 2 > MAX_OPTIONS) throw bad("too many options");
  const options = new Map<string, string>();
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i].toLowerCase();
    const value = pairs[i + 1];
    if (name === "") throw bad("empty option name");
    if (
      encoder.encode(name).length > MAX_OPTION_BYTES ||
      encoder.encode(value).length > MAX_OPTION_BYTES
    ) {
      throw bad("option too long");
    }
    if (options.has(name)) throw bad(`option '${name}' given twice`);
    options.set(name, value);
  }
  return options;
}

function parseMode(text: string): TransferMode {
  const mode = text.toLowerCase();
  if (mode === "octet" || mode === "netascii" || mode === "mail") return mode;
  throw bad("unknown transfer mode");
}

/**
 * Decodes one datagram. `DATA` payloads are views into `bytes`, not copies.
 *
 * @throws {ProtocolError} `BAD_FRAME` for anything that is not a well-formed packet
 */
export function decodePacket(bytes: Uint8Array): Packet {
  if (bytes.length < 2) throw bad("shorter than an opcode");
  const op = (bytes[0] << 8) | bytes[1];
  // The hot path (an ACK or DATA per block) allocates no view.
  if (op === Opcode.ACK) {
    if (bytes.length !== 4) throw bad("ACK is not 4 bytes");
    return { op: "ACK", block: (bytes[2] << 8) | bytes[3] };
  }
  if (op === Opcode.DATA) {
    if (bytes.length < 4) throw bad("DATA without a block number");
    if (bytes.length - 4 > MAX_BLKSIZE) throw bad("DATA block too large");
    return { op: "DATA", block: (bytes[2] << 8) | bytes[3], data: bytes.subarray(4) };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const body = bytes.subarray(2);
  switch (op) {
    case Opcode.RRQ:
    case Opcode.WRQ: {
      if (bytes.length > MAX_REQUEST_BYTES) throw bad("request too long");
      const parts = splitStrings(body, "request");
      if (parts.length < 2) throw bad("request without a mode");
      return {
        op: op === Opcode.RRQ ? "RRQ" : "WRQ",
        filename: parts[0],
        mode: parseMode(parts[1]),
        options: parseOptions(parts.slice(2)),
      };
    }
    case Opcode.ERROR: {
      if (bytes.length < 4) throw bad("ERROR without a code");
      // Be lenient with the message: some peers omit the final NUL.
      let end = bytes.indexOf(0, 4);
      if (end < 0) end = bytes.length;
      end = Math.min(end, 4 + MAX_ERROR_MESSAGE);
      return {
        op: "ERROR",
        code: view.getUint16(2),
        message: lenient.decode(bytes.subarray(4, end)),
      };
    }
    case Opcode.OACK: {
      if (bytes.length > MAX_REQUEST_BYTES) throw bad("OACK too long");
      const options = parseOptions(splitStrings(body, "OACK"));
      if (options.size === 0) throw bad("OACK without options");
      return { op: "OACK", options };
    }
    default:
      throw bad(`unknown opcode ${op}`);
  }
}

function checkString(s: string, what: string): Uint8Array {
  const b = encoder.encode(s);
  if (b.includes(0)) throw new RangeError(`${what} contains a NUL byte`);
  return b;
}

function checkU16(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) {
    throw new RangeError(`${what} must be 0..65535, got ${n}`);
  }
}

function joinStrings(op: number, strings: Uint8Array[]): Uint8Array {
  const len = 2 + strings.reduce((n, s) => n + s.length + 1, 0);
  const out = new Uint8Array(len);
  out[1] = op;
  let at = 2;
  for (const s of strings) {
    out.set(s, at);
    at += s.length + 1; // the NUL is already there
  }
  return out;
}

function optionStrings(options: Map<string, string>): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const [k, v] of options) {
    out.push(checkString(k, "option name"), checkString(v, "option value"));
  }
  return out;
}

/**
 * Encodes one packet.
 *
 * @throws {RangeError} for values that cannot be put on the wire (a NUL in a
 * string, a block number outside 0..65535, a DATA payload over 65464 bytes)
 */
export function encodePacket(p: Packet): Uint8Array {
  switch (p.op) {
    case "RRQ":
    case "WRQ":
      return joinStrings(p.op === "RRQ" ? Opcode.RRQ : Opcode.WRQ, [
        checkString(p.filename, "filename"),
        checkString(p.mode, "mode"),
        ...optionStrings(p.options),
      ]);
    case "OACK":
      return joinStrings(Opcode.OACK, optionStrings(p.options));
    case "DATA": {
      if (p.data.length > MAX_BLKSIZE) throw new RangeError("DATA too large");
      const out = new Uint8Array(4 + p.data.length);
      writeDataHeader(out, p.block);
      out.set(p.data, 4);
      return out;
    }
    case "ACK": {
      checkU16(p.block, "block");
      return new Uint8Array([0, Opcode.ACK, p.block >> 8, p.block & 0xff]);
    }
    case "ERROR": {
      checkU16(p.code, "error code");
      const msg = encoder.encode(p.message.replaceAll("\0", " "));
      const out = new Uint8Array(5 + msg.length);
      out[1] = Opcode.ERROR;
      out[2] = p.code >> 8;
      out[3] = p.code & 0xff;
      out.set(msg, 4);
      return out;
    }
  }
}

/**
 * Writes a DATA header (opcode and block number) into the first 4 bytes of
 * `packet`, so senders can fill a reused buffer without copying the payload.
 */
export function writeDataHeader(packet: Uint8Array, block: number): void {
  checkU16(block, "block");
  packet[0] = 0;
  packet[1] = Opcode.DATA;
  packet[2] = block >> 8;
  packet[3] = block & 0xff;
}

/** The 16-bit wire number of the absolute block `n` (1, 2, ... past 65535 wraps to 0). */
export function wireBlock(n: number): number {
  return n % 0x10000;
}

/**
 * Maps a 16-bit wire block number back to an absolute block number, taking
 * the one at or after `from` (absolute) that has that wire number.
 */
export function absoluteBlock(wire: number, from: number): number {
  return from + ((wire - wireBlock(from) + 0x10000) % 0x10000);
}
