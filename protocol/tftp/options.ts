/**
 * TFTP option negotiation as pure policy: RFC 2347 (OACK), 2348 (blksize),
 * 2349 (timeout, tsize) and 7440 (windowsize). The server side decides what
 * to acknowledge; the client side checks that an OACK stays within what was
 * asked. The OACK only ever holds options the client asked for.
 *
 * Server rules, following the RFCs and tftp-hpa's long-standing behaviour:
 * - blksize: a number 8..65464; larger values are clamped to the server's
 *   maximum (a server may always answer smaller), smaller or malformed values
 *   (`0`, `7`, `abc`) are not acknowledged, so the transfer uses 512.
 * - windowsize: 1..65535, clamped to the server's maximum (and, on writes,
 *   to what fits {@linkcode MAX_WINDOW_BYTES}); 0 or malformed values are not
 *   acknowledged.
 * - timeout: 1..255 seconds, echoed; anything else is not acknowledged.
 * - tsize: on a read the server answers the file size (octet mode only); on
 *   a write it echoes the client's size, and refuses a size over its limit.
 * - Unknown options are ignored.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { DEFAULT_BLKSIZE, MAX_BLKSIZE, MIN_BLKSIZE, type TransferMode } from "./packet.ts";

/** Largest windowsize RFC 7440 allows. */
export const MAX_WINDOWSIZE = 65535;

/**
 * Most payload bytes one window may put in flight towards a netkit receiver.
 * A receiver cannot grow its socket buffer from Deno (Linux's default is 208
 * KiB, and a loopback datagram takes more than its payload there), so a
 * larger window would overflow it and lose packets on every window.
 */
export const MAX_WINDOW_BYTES = 128 * 1024;

/** `windowsize` reduced so a window of `blksize` blocks fits {@linkcode MAX_WINDOW_BYTES}; at least 1. */
export function windowWithinBudget(
  windowsize: number,
  blksize: number,
): number {
  return Math.max(
    1,
    Math.min(windowsize, Math.floor(MAX_WINDOW_BYTES / blksize)),
  );
}

/** The parameters a transfer runs with after negotiation. */
export interface TransferParams {
  /** Bytes per DATA block. @default 512 */
  blksize: number;
  /** Blocks sent before waiting for an ACK. @default 1 */
  windowsize: number;
  /** Retransmission timeout the peer asked for, in ms, or null to use the local one. */
  timeoutMs: number | null;
  /** The transfer size, when known from the tsize option. */
  tsize: number | null;
}

/** The parameters of a transfer without options (plain RFC 1350). */
export const DEFAULT_PARAMS: Readonly<TransferParams> = {
  blksize: DEFAULT_BLKSIZE,
  windowsize: 1,
  timeoutMs: null,
  tsize: null,
};

/** What the server is willing to grant. */
export interface ServerLimits {
  /** Largest block size granted. @default 65464 */
  maxBlksize?: number;
  /** Largest window granted. @default 64 */
  maxWindowsize?: number;
  /** Largest upload accepted, in bytes. @default Infinity */
  maxWriteSize?: number;
}

/** What the server knows about the request being negotiated. */
export interface RequestContext {
  kind: "read" | "write";
  mode: TransferMode;
  /** Size of the file to be read, when known. */
  fileSize?: number;
}

/** The result of server-side negotiation. */
export interface Negotiation {
  /** The OACK options, in request order; empty means send no OACK. */
  reply: Map<string, string>;
  /** What the transfer runs with. */
  params: TransferParams;
}

/**
 * Parses an option value as a plain decimal number (no sign, no spaces, at
 * most 10 digits), or returns null.
 */
export function parseOptionNumber(text: string): number | null {
  if (!/^[0-9]{1,10}$/.test(text)) return null;
  return Number(text);
}

/**
 * Decides which requested options the server acknowledges.
 *
 * @throws {ProtocolError} `TOO_LARGE` when a write announces a tsize over the limit
 */
export function negotiate(
  requested: ReadonlyMap<string, string>,
  ctx: RequestContext,
  limits: ServerLimits = {},
): Negotiation {
  const maxBlk = Math.min(limits.maxBlksize ?? MAX_BLKSIZE, MAX_BLKSIZE);
  const maxWin = Math.min(limits.maxWindowsize ?? 64, MAX_WINDOWSIZE);
  const reply = new Map<string, string>();
  const params: TransferParams = { ...DEFAULT_PARAMS };
  for (const [name, value] of requested) {
    const n = parseOptionNumber(value);
    switch (name) {
      case "blksize":
        if (n === null || n < MIN_BLKSIZE) break;
        params.blksize = Math.min(n, maxBlk);
        reply.set(name, String(params.blksize));
        break;
      case "windowsize":
        if (n === null || n < 1) break;
        params.windowsize = Math.min(n, maxWin);
        reply.set(name, String(params.windowsize));
        break;
      case "timeout":
        if (n === null || n < 1 || n > 255) break;
        params.timeoutMs = n * 1000;
        reply.set(name, String(n));
        break;
      case "tsize":
        if (n === null) break;
        if (ctx.kind === "read") {
          if (ctx.mode !== "octet" || ctx.fileSize === undefined) break;
          params.tsize = ctx.fileSize;
        } else {
          if (n > (limits.maxWriteSize ?? Infinity)) {
            throw new ProtocolError(
              "TOO_LARGE",
              `upload of ${n} bytes is over the limit`,
            );
          }
          params.tsize = n;
        }
        reply.set(name, String(params.tsize));
        break;
    }
  }
  if (ctx.kind === "write" && reply.has("windowsize")) {
    // The server receives: keep the window within its socket buffer.
    params.windowsize = windowWithinBudget(params.windowsize, params.blksize);
    reply.set("windowsize", String(params.windowsize));
  }
  return { reply, params };
}

/**
 * Client side: checks an OACK against what was requested and returns the
 * parameters to use. An option the client did not ask for, or a value out
 * of bounds, fails (the client then sends ERROR 8).
 *
 * @throws {ProtocolError} `BAD_FRAME` naming the offending option
 */
export function acceptOack(
  requested: ReadonlyMap<string, string>,
  oack: ReadonlyMap<string, string>,
): TransferParams {
  const params: TransferParams = { ...DEFAULT_PARAMS };
  const refuse = (why: string) =>
    new ProtocolError("BAD_FRAME", `server's option answer refused: ${why}`);
  for (const [name, value] of oack) {
    const asked = requested.get(name);
    if (asked === undefined) throw refuse(`'${name}' was not requested`);
    const n = parseOptionNumber(value);
    const max = parseOptionNumber(asked);
    if (n === null) throw refuse(`${name} '${value}' is not a number`);
    switch (name) {
      case "blksize":
        if (n < MIN_BLKSIZE || (max !== null && n > max)) {
          throw refuse(`blksize ${n}`);
        }
        params.blksize = n;
        break;
      case "windowsize":
        if (n < 1 || (max !== null && n > max)) {
          throw refuse(`windowsize ${n}`);
        }
        params.windowsize = n;
        break;
      case "timeout":
        if (n < 1 || n > 255) throw refuse(`timeout ${n}`);
        params.timeoutMs = n * 1000;
        break;
      case "tsize":
        params.tsize = n;
        break;
    }
  }
  return params;
}
