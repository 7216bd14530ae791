/**
 * The two halves of a TFTP transfer once the request is settled: a sender
 * that streams DATA blocks in windows (RFC 7440; a window of 1 is classic
 * lock-step RFC 1350) and a receiver that acknowledges them. Both retransmit
 * on timeout with a bounded retry count and count blocks past 65535 (wire
 * numbers wrap to 0). A duplicate ACK never triggers a resend, which avoids
 * the Sorcerer's Apprentice bug; only a timeout or an ACK that shows a gap does.
 * Each silent timeout in a row doubles the next wait, up to {@linkcode BACKOFF_CAP}
 * times the base (RFC 1123 4.2.3.2), so a peer that is busy, not gone, such
 * as a server syncing an upload to disk before its final ACK, is waited for.
 *
 * @module
 */

import { NetkitError } from "../core/errors.ts";
import { encodePacket, type Packet, wireBlock, writeDataHeader } from "../protocol/tftp/packet.ts";
import type { BlockSink, BlockSource } from "./blocks.ts";
import { HEADER } from "./blocks.ts";
import type { Channel } from "./channel.ts";

/** How a transfer runs. */
export interface TransferTuning {
  /** Bytes per DATA block. */
  blksize: number;
  /** Blocks per window. @default 1 */
  windowsize: number;
  /** Wait before retransmitting, in ms. */
  timeoutMs: number;
  /** Retransmissions without progress before giving up. */
  retries: number;
  /** Ends the transfer early. */
  signal?: AbortSignal;
  /** Called with the byte count so far as blocks are acknowledged or received. */
  onProgress?: (bytes: number) => void;
}

/** The result of a finished transfer. */
export interface TransferResult {
  /** Payload bytes carried (on the wire, before netascii conversion). */
  bytes: number;
  /** DATA blocks carried, the final short one included. */
  blocks: number;
}

/** The longest one wait grows to, as a multiple of the base timeout. */
export const BACKOFF_CAP = 4;

/**
 * How long to wait for the peer after `silent` timeouts in a row: the base
 * timeout, doubled for each, at most {@linkcode BACKOFF_CAP} times the base.
 */
export function retryWait(timeoutMs: number, silent: number): number {
  return timeoutMs * Math.min(2 ** silent, BACKOFF_CAP);
}

/** How long a peer with this tuning keeps retrying without progress before it gives up: all its waits added up. */
export function patience(t: Pick<TransferTuning, "timeoutMs" | "retries">): number {
  let total = 0;
  for (let silent = 0; silent <= t.retries; silent++) total += retryWait(t.timeoutMs, silent);
  return total;
}

function timedOut(what: string): NetkitError {
  return new NetkitError("TIMEOUT", `timed out waiting for ${what}`);
}

function illegal(p: Packet, state: string): NetkitError {
  return new NetkitError("BAD_FRAME", `unexpected ${p.op} ${state}`);
}

/** The signed distance from wire block `expected` to wire block `got`, in -32768..32767. */
function blockDelta(got: number, expected: number): number {
  const d = (got - expected + 0x10000) % 0x10000;
  return d >= 0x8000 ? d - 0x10000 : d;
}

/**
 * Sends every block of `src` to the peer, starting at block 1. Resolves when
 * the last block is acknowledged. On failure the caller tells the peer
 * (`Channel.sendFailure`).
 *
 * @throws {NetkitError} `TIMEOUT` after `retries` silent timeouts, `BAD_FRAME`
 * for an illegal packet, or a `TftpPeerError`
 */
export async function sendBlocks(
  ch: Channel,
  src: BlockSource,
  t: TransferTuning,
): Promise<TransferResult> {
  const window: Uint8Array[] = []; // window[i] carries block base + i
  let base = 1; // oldest unacknowledged block
  let unsent = 0; // index in window of the first packet not yet sent
  let bytes = 0;
  let retries = 0;
  for (;;) {
    while (!src.done && window.length < t.windowsize) {
      window.push(src.tryNext() ?? await src.next());
    }
    // Post the window without awaiting each send: the ACK wait is posted in
    // the same event-loop turn. Packets stay untouched until acknowledged.
    for (; unsent < window.length; unsent++) {
      const packet = window[unsent];
      writeDataHeader(packet, wireBlock(base + unsent));
      ch.post(packet);
    }
    src.prefetch(); // while the peer takes the window in
    const p = await ch.receive(retryWait(t.timeoutMs, retries), t.signal);
    if (p === null) {
      if (++retries > t.retries) throw timedOut(`ACK of block ${base}`);
      unsent = 0; // resend the whole window
      continue;
    }
    if (p.op !== "ACK") {
      if (p.op === "OACK") continue; // a late duplicate of the server's OACK
      throw illegal(p, "while sending");
    }
    // How many blocks this ACK covers; 0 is a duplicate, ignored on purpose.
    const acked = blockDelta(p.block, wireBlock(base - 1));
    if (acked <= 0 || acked > unsent) continue;
    for (const done of window.splice(0, acked)) {
      bytes += done.length - HEADER;
      src.release(done);
    }
    base += acked;
    retries = 0;
    // An ACK short of the last block sent means the peer saw a gap: resend from there.
    unsent = 0;
    t.onProgress?.(bytes);
    if (src.done && window.length === 0) return { bytes, blocks: base - 1 };
  }
}

/** How a receiver starts. */
export interface ReceiveStart {
  /** What to resend while block 1 has not come (an ACK 0, an OACK). */
  resend: Uint8Array;
  /** A DATA packet already received (block 1 answering an RRQ). */
  first?: Packet;
  /** Most payload bytes accepted; more fails with `TOO_LARGE`. @default Infinity */
  maxBytes?: number;
  /** Called after the last block arrives and before it is acknowledged, so a failure there reaches the peer as an ERROR. */
  finish?: () => Promise<void>;
  /** After the final ACK, keep answering a resent last block while the sender may still retry. @default false */
  dally?: boolean;
}

/**
 * Receives blocks from the peer into `sink` until a short block ends the
 * transfer, acknowledging every `windowsize` blocks and on the last.
 *
 * @throws like {@linkcode sendBlocks}, plus `TOO_LARGE` over `maxBytes`
 */
export async function receiveBlocks(
  ch: Channel,
  sink: BlockSink,
  t: TransferTuning,
  start: ReceiveStart,
): Promise<TransferResult> {
  const result = await receiveLoop(ch, sink, t, start);
  // Dally long enough to outlast the sender's retries if our final ACK is lost.
  if (start.dally) {
    await dally(ch, result.blocks, Math.min(patience(t), MAX_DALLY_MS), t.signal);
  }
  return result;
}

/** The longest a receiver dallies after its final ACK, whatever the tuning. */
const MAX_DALLY_MS = 5000;
/** The most times a dallying receiver re-acknowledges the last block. */
const MAX_DALLY_ACKS = 8;

function ack(block: number): Uint8Array {
  return encodePacket({ op: "ACK", block: wireBlock(block) });
}

async function receiveLoop(
  ch: Channel,
  sink: BlockSink,
  t: TransferTuning,
  start: ReceiveStart,
): Promise<TransferResult> {
  const maxBytes = start.maxBytes ?? Infinity;
  let expected = 1; // next block wanted
  let bytes = 0;
  let retries = 0;
  let sinceAck = 0; // in-order blocks since the last ACK
  let gapAcked = false; // one ACK per gap, not one per stray packet
  let first = start.first;
  for (;;) {
    const p = first ?? await ch.receive(retryWait(t.timeoutMs, retries), t.signal);
    first = undefined;
    if (p === null) {
      if (++retries > t.retries) throw timedOut(`DATA block ${expected}`);
      await ch.send(expected === 1 ? start.resend : ack(expected - 1));
      sinceAck = 0;
      continue;
    }
    if (p.op !== "DATA") {
      if (p.op === "OACK") {
        // A resent OACK: our ACK 0 was lost (or it is a late duplicate).
        if (expected === 1) await ch.send(start.resend);
        continue;
      }
      throw illegal(p, "while receiving");
    }
    const delta = blockDelta(p.block, wireBlock(expected));
    if (delta !== 0) {
      if (delta > 0 && !gapAcked && expected > 1) {
        gapAcked = true; // RFC 7440: tell the sender where the gap starts
        await ch.send(ack(expected - 1));
      } else if (delta === -1 && expected > 1) {
        await ch.send(ack(expected - 1)); // our ACK was lost
      }
      sinceAck = 0;
      continue;
    }
    if (p.data.length > t.blksize) {
      throw new NetkitError("BAD_FRAME", `DATA block larger than ${t.blksize}`);
    }
    bytes += p.data.length;
    if (bytes > maxBytes) {
      throw new NetkitError("TOO_LARGE", `upload is over ${maxBytes} bytes`);
    }
    if (!sink.tryWrite(p.data)) await sink.write(p.data);
    retries = 0;
    gapAcked = false;
    if (p.data.length < t.blksize) {
      await sink.flush(true);
      await start.finish?.();
      await ch.send(ack(expected));
      t.onProgress?.(bytes);
      return { bytes, blocks: expected };
    }
    if (++sinceAck >= t.windowsize) {
      ch.post(ack(expected));
      sinceAck = 0;
      t.onProgress?.(bytes);
    }
    expected++;
  }
}

/** After the final ACK: re-acknowledge a resent last block for a while. */
async function dally(
  ch: Channel,
  last: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const until = performance.now() + timeoutMs;
  try {
    // Stale copies of earlier blocks (a resent window queued while the upload
    // was committed) are skipped without using up the re-ACKs.
    for (let acks = 0; acks < MAX_DALLY_ACKS && performance.now() < until;) {
      const p = await ch.receive(until - performance.now(), signal);
      if (p === null) return;
      if (p.op === "DATA" && p.block === wireBlock(last)) {
        await ch.send(ack(last));
        acks++;
      }
    }
  } catch { /* the transfer is complete; nothing more to say */ }
}

/**
 * Server side of an OACK on a read: sends the OACK and waits for the ACK of
 * block 0, resending the OACK on timeout.
 *
 * @throws {NetkitError} `TIMEOUT`, `BAD_FRAME`, or a `TftpPeerError` (a client
 * refusing the options answers ERROR 8)
 */
export async function sendOack(
  ch: Channel,
  oack: Uint8Array,
  t: TransferTuning,
): Promise<void> {
  for (let silent = 0; silent <= t.retries; silent++) {
    await ch.send(oack);
    const deadline = performance.now() + retryWait(t.timeoutMs, silent);
    for (;;) {
      const left = deadline - performance.now();
      const p = left > 0 ? await ch.receive(left, t.signal) : null;
      if (p === null) break;
      if (p.op === "ACK" && p.block === 0) return;
      if (p.op !== "ACK") throw illegal(p, "after OACK");
    }
  }
  throw timedOut("ACK of the OACK");
}
