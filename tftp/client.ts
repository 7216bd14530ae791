/**
 * The TFTP client as a library: {@linkcode tftpGet} and {@linkcode tftpPut}
 * send the request, settle options from the server's OACK (or fall back to
 * RFC 1350 defaults when the server ignores them), and run the transfer on
 * the server's transfer ID.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { NetkitError } from "../core/errors.ts";
import type { ByteSink, ByteSource } from "../protocol/file/frame_stream.ts";
import {
  DEFAULT_BLKSIZE,
  encodePacket,
  type Packet,
  TftpErrorCode,
} from "../protocol/tftp/packet.ts";
import {
  acceptOack,
  DEFAULT_PARAMS,
  type TransferParams,
  windowWithinBudget,
} from "../protocol/tftp/options.ts";
import { BlockSink, BlockSource } from "./blocks.ts";
import { Channel } from "./channel.ts";
import { formatHostPort } from "../core/net/net.ts";
import {
  receiveBlocks,
  retryWait,
  sendBlocks,
  type TransferResult,
  type TransferTuning,
} from "./transfer.ts";

/** Options of {@linkcode tftpGet} and {@linkcode tftpPut}. */
export interface TftpClientOptions {
  /** Server host name or address. */
  hostname: string;
  /** Server request port. @default 69 */
  port?: number;
  /** Block size to ask for (8..65464); unset asks for none (512). */
  blksize?: number;
  /** Window to ask for (RFC 7440; a download asks for no more than fits 128 KiB); unset asks for none (1). */
  windowsize?: number;
  /** Transfer mode. @default "octet" */
  mode?: "octet" | "netascii";
  /** Retransmission timeout, in ms. @default 1000 */
  timeoutMs?: number;
  /** Retransmissions without progress before giving up. @default 5 */
  retries?: number;
  /** Ends the transfer early. */
  signal?: AbortSignal;
  /** Progress: bytes so far and the total when the server told it. */
  onProgress?: (bytes: number, total: number | null) => void;
}

/** A finished client transfer. */
export interface ClientResult extends TransferResult {
  /** The parameters the transfer ran with. */
  params: TransferParams;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

async function resolve(hostname: string): Promise<string> {
  if (IPV4.test(hostname) || hostname.includes(":")) return hostname;
  try {
    // Prefer IPv4: servers (netkit's included) bind 127.0.0.1 by default,
    // while "localhost" often resolves to ::1 first.
    const all = await lookup(hostname, { all: true });
    return (all.find((a) => a.family === 4) ?? all[0]).address;
  } catch {
    throw new NetkitError("NOT_FOUND", `cannot resolve host '${hostname}'`);
  }
}

function requestOptions(
  o: TftpClientOptions,
  tsize: number | null,
  receiving: boolean,
): Map<string, string> {
  const m = new Map<string, string>();
  if (o.blksize !== undefined) m.set("blksize", String(o.blksize));
  if (o.windowsize !== undefined) {
    // When receiving, keep a window within our own socket buffer.
    const w = receiving
      ? windowWithinBudget(o.windowsize, o.blksize ?? DEFAULT_BLKSIZE)
      : o.windowsize;
    m.set("windowsize", String(w));
  }
  if (tsize !== null && (o.mode ?? "octet") === "octet") {
    m.set("tsize", String(tsize));
  }
  return m;
}

/** Sends a request until the server answers; the channel then locks onto its transfer ID. */
async function request(
  ch: Channel,
  server: Deno.NetAddr,
  req: Uint8Array,
  o: TftpClientOptions,
): Promise<Packet> {
  const retries = o.retries ?? 5;
  for (let silent = 0; silent <= retries; silent++) {
    await ch.sendTo(req, server);
    const p = await ch.receive(retryWait(o.timeoutMs ?? 1000, silent), o.signal);
    if (p !== null) return p;
  }
  throw new NetkitError(
    "TIMEOUT",
    `no answer from ${formatHostPort(server.hostname, server.port)}`,
  );
}

async function open(o: TftpClientOptions): Promise<[Channel, Deno.NetAddr]> {
  const address = await resolve(o.hostname);
  const conn = Deno.listenDatagram({
    transport: "udp",
    hostname: address.includes(":") ? "::" : "0.0.0.0",
    port: 0,
  });
  return [new Channel(conn, null, address), {
    transport: "udp",
    hostname: address,
    port: o.port ?? 69,
  }];
}

/** Parameters from the server's first answer; an OACK beyond the request is refused. */
function settle(asked: Map<string, string>, p: Packet): TransferParams {
  if (p.op !== "OACK") return { ...DEFAULT_PARAMS };
  try {
    return acceptOack(asked, p.options);
  } catch (e) {
    throw new OptionsRefused((e as Error).message);
  }
}

/** The client refused the server's OACK: the server is told with ERROR 8. */
class OptionsRefused extends NetkitError {
  constructor(message: string) {
    super("BAD_FRAME", message);
  }
}

async function fail(ch: Channel, e: unknown): Promise<never> {
  if (e instanceof OptionsRefused) {
    await ch.sendError(TftpErrorCode.OPTION_REFUSED, e.message);
  } else if (ch.peer) {
    await ch.sendFailure(e);
  }
  throw e;
}

function tuning(params: TransferParams, o: TftpClientOptions): TransferTuning {
  return {
    blksize: params.blksize,
    windowsize: params.windowsize,
    timeoutMs: params.timeoutMs ?? o.timeoutMs ?? 1000,
    retries: o.retries ?? 5,
    signal: o.signal,
    onProgress: o.onProgress && ((b) => o.onProgress!(b, params.tsize)),
  };
}

/**
 * The part of a get or a put before the blocks: the request, the first
 * answer (an OACK, or `expected` when the server ignores options), and the
 * settled parameters; `body` then moves the blocks. Failures are reported
 * to the server.
 */
async function exchange(
  o: TftpClientOptions,
  op: "RRQ" | "WRQ",
  remote: string,
  asked: Map<string, string>,
  expected: (p: Packet) => boolean,
  body: (ch: Channel, first: Packet, params: TransferParams) => Promise<
    TransferResult
  >,
): Promise<ClientResult> {
  const [ch, server] = await open(o);
  using _ = ch;
  const mode = o.mode ?? "octet";
  const req = encodePacket({ op, filename: remote, mode, options: asked });
  try {
    const first = await request(ch, server, req, o);
    if (first.op !== "OACK" && !expected(first)) {
      throw new NetkitError("BAD_FRAME", `unexpected ${first.op} after ${op}`);
    }
    const params = settle(asked, first);
    return { ...(await body(ch, first, params)), params };
  } catch (e) {
    return await fail(ch, e);
  }
}

/**
 * Downloads `remote` into `sink`.
 *
 * @throws {NetkitError} `TIMEOUT`, `BAD_FRAME`, or a `TftpPeerError` with the server's reason
 */
export function tftpGet(
  remote: string,
  sink: ByteSink,
  o: TftpClientOptions,
): Promise<ClientResult> {
  const asked = requestOptions(o, 0, true);
  const dataOne = (p: Packet) => p.op === "DATA" && p.block === 1;
  return exchange(
    o,
    "RRQ",
    remote,
    asked,
    dataOne,
    async (ch, first, params) => {
      const ack0 = encodePacket({ op: "ACK", block: 0 });
      if (first.op === "OACK") await ch.send(ack0);
      return await receiveBlocks(
        ch,
        new BlockSink(sink, o.mode === "netascii"),
        tuning(params, o),
        { resend: ack0, first: first.op === "DATA" ? first : undefined },
      );
    },
  );
}

/**
 * Uploads the bytes of `src` as `remote`; `size`, when known, is announced
 * with the tsize option so the server can refuse early.
 *
 * @throws like {@linkcode tftpGet}
 */
export function tftpPut(
  remote: string,
  src: ByteSource,
  size: number | null,
  o: TftpClientOptions,
): Promise<ClientResult> {
  const asked = requestOptions(o, size, false);
  const ackZero = (p: Packet) => p.op === "ACK" && p.block === 0;
  return exchange(o, "WRQ", remote, asked, ackZero, (ch, _first, params) => {
    const netascii = o.mode === "netascii";
    if (params.tsize === null && size !== null && !netascii) {
      params.tsize = size;
    }
    const blocks = new BlockSource(src, params.blksize, netascii);
    return sendBlocks(ch, blocks, tuning(params, o));
  });
}
