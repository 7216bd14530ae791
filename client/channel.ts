/**
 * What a request of the file client runs on once the connection is greeted
 * (its framing, what the server announced, the hash Workers), and what a
 * transfer reports. Shared by `client.ts`, `download.ts` and `upload.ts`.
 *
 * @module
 */

import { errorFromWire, NetkitError } from "../core/errors.ts";
import type { HashName } from "../core/hash/hash.ts";
import type { HashPool } from "../core/hash/hash_pool.ts";
import type { FrameReader, FrameWriter, Incoming } from "../protocol/file/frame_stream.ts";
import type { Welcome } from "../protocol/file/messages.ts";

/** A greeted connection as its requests use it. */
export interface Channel {
  readonly reader: FrameReader;
  readonly writer: FrameWriter;
  /** What the server announced. */
  readonly welcome: Welcome;
  /** The hash algorithm transfers are verified with. */
  readonly hash: HashName;
  /** Hash Workers for large transfers. */
  readonly pool: HashPool;
  /** Transfers at least this large are hashed by the pool; smaller ones inline. */
  readonly offloadMin: number;
  /** Closes the connection (a request that must cut the stream). */
  close(): void;
}

/** Progress of one transfer. */
export interface Progress {
  /** Bytes of the file present at the destination so far. */
  done: number;
  /** The file's whole size. */
  total: number;
  /** Bytes that were already there when the transfer started (a resume). */
  start: number;
}

/** The result of a verified transfer. */
export interface TransferResult {
  /** The file's size. */
  size: number;
  /** Bytes actually moved (less than size after a resume). */
  transferred: number;
  /** The verified digest. */
  digest: Uint8Array;
  /** The algorithm of the digest. */
  hash: HashName;
  /** A resume found the source changed since the broken transfer, and started over. */
  restarted?: boolean;
}

/** The error for a reply that is not `wanted`: the server's own error, or a closed or bad stream. */
export function unexpected(m: Incoming | null, wanted: string): NetkitError {
  if (m === null) return new NetkitError("CLOSED", "server closed the connection");
  if (m.type === "ERROR") return errorFromWire(m.code, m.message);
  return new NetkitError("BAD_FRAME", `expected ${wanted}, got ${m.type}`);
}
