/**
 * Sample messages of every type, and in-memory byte sources and sinks, for
 * the protocol tests.
 *
 * @module
 */

import type { ByteSink, ByteSource } from "../protocol/file/frame_stream.ts";
import { type Message, PROTOCOL_VERSION } from "../protocol/file/messages.ts";

const digest = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);

/** At least one message of every type, with edge values: empty, maximal, non-ASCII. */
export const SAMPLES: readonly Message[] = [
  {
    type: "HELLO",
    version: PROTOCOL_VERSION,
    hashes: ["xxh3-128", "sha256"],
    token: new Uint8Array([0, 1, 255]),
    client: "netkit-test/1 ✓",
  },
  {
    type: "HELLO",
    version: 0xffff,
    hashes: [],
    token: new Uint8Array(0),
    client: "",
  },
  {
    type: "HELLO",
    version: 1,
    hashes: ["sha256"],
    token: new TextEncoder().encode("pässword"),
    client: "netkit-client",
    user: "zoë",
  },
  {
    type: "WELCOME",
    version: 1,
    features: 0xffffffff,
    maxFrame: 1 << 20,
    maxUpload: Number.MAX_SAFE_INTEGER,
    idleTimeoutMs: 30_000,
    hash: "sha256",
    server: "netkit 0.1.0",
  },
  { type: "LIST" },
  { type: "LIST_ENTRIES", last: false, entries: [] },
  {
    type: "LIST_ENTRIES",
    last: true,
    entries: [
      { name: "a.txt", size: 0, mtimeMs: 0 },
      { name: "ünïcødé 文件.bin", size: 2 ** 40, mtimeMs: 1_700_000_000_123 },
      { name: "x".repeat(255), size: Number.MAX_SAFE_INTEGER, mtimeMs: 1 },
    ],
  },
  { type: "GET", name: "movie.mkv", offset: 0 },
  { type: "GET", name: "sub/dir/file", offset: Number.MAX_SAFE_INTEGER },
  {
    type: "GET",
    name: "resumed.iso",
    offset: 4096,
    ifVersion: { size: 2 ** 40, mtimeMs: 1_700_000_000_123 },
  },
  { type: "GET_OK", size: 123456789, offset: 1000, mtimeMs: 1_700_000_000_000 },
  { type: "PUT", name: "upload.iso", size: 2 ** 33, flags: 0 },
  { type: "PUT", name: "again", size: 0, flags: 3 },
  { type: "PUT", name: "versioned", size: 10, flags: 2, version: Number.MAX_SAFE_INTEGER },
  { type: "CANCEL", name: "upload.iso" },
  { type: "CANCEL_OK", removed: 0 },
  { type: "CANCEL_OK", removed: 0xffffffff },
  { type: "PUT_READY", offset: 0 },
  { type: "PUT_READY", offset: 65536 },
  { type: "PUT_OK", size: 42, digest },
  { type: "END", digest },
  { type: "END", digest: new Uint8Array(0) },
  { type: "QUIT" },
  { type: "BYE" },
  { type: "ERROR", code: "NOT_FOUND", message: "nope.txt: not found" },
  { type: "ERROR", code: "FORBIDDEN", message: "" },
];

/**
 * A byte source that hands out `chunks` one read at a time (a read never
 * crosses a chunk boundary), then end of stream. Counts reads.
 */
export class ChunkSource implements ByteSource {
  readonly #chunks: Uint8Array[];
  #i = 0;
  #at = 0;
  /** Reads served so far, including the final `null`. */
  reads = 0;

  constructor(chunks: Uint8Array[]) {
    this.#chunks = chunks.filter((c) => c.length > 0);
  }

  /** Splits `bytes` at each of the ascending `cuts`. */
  static split(bytes: Uint8Array, cuts: number[]): ChunkSource {
    const chunks: Uint8Array[] = [];
    let from = 0;
    for (const c of cuts) {
      chunks.push(bytes.subarray(from, c));
      from = c;
    }
    chunks.push(bytes.subarray(from));
    return new ChunkSource(chunks);
  }

  read(p: Uint8Array): Promise<number | null> {
    this.reads++;
    if (this.#i >= this.#chunks.length) return Promise.resolve(null);
    const chunk = this.#chunks[this.#i];
    const n = Math.min(p.length, chunk.length - this.#at);
    p.set(chunk.subarray(this.#at, this.#at + n));
    this.#at += n;
    if (this.#at === chunk.length) {
      this.#i++;
      this.#at = 0;
    }
    return Promise.resolve(n);
  }
}

/** A sink that accepts at most `maxWrite` bytes per write and keeps them all. */
export class ShortSink implements ByteSink {
  readonly #parts: Uint8Array[] = [];
  readonly #maxWrite: number;
  /** Writes served so far. */
  writes = 0;

  constructor(maxWrite = Infinity) {
    this.#maxWrite = maxWrite;
  }

  write(p: Uint8Array): Promise<number> {
    this.writes++;
    const n = Math.min(p.length, this.#maxWrite);
    this.#parts.push(p.slice(0, n));
    return Promise.resolve(n);
  }

  /** Every byte written, in order. */
  bytes(): Uint8Array {
    return concat(this.#parts);
  }
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
