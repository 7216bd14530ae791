/**
 * Byte streams cut into TFTP blocks and glued back together. A
 * {@linkcode BlockSource} hands out DATA packets of exactly `blksize` bytes
 * (the last one shorter, possibly empty); a {@linkcode BlockSink} collects
 * received blocks into large writes. Both apply netascii conversion when
 * asked. Memory stays bounded: one read chunk or one block read ahead, one
 * write buffer, and the sender's window.
 *
 * @module
 */

import type { ByteSink, ByteSource } from "../protocol/file/frame_stream.ts";
import { writeAll } from "../protocol/file/frame_stream.ts";
import { readFullSync, SyncGate, type SyncReadableFile } from "../core/disk_io.ts";
import { NetasciiDecoder, netasciiEncode } from "../protocol/tftp/netascii.ts";

/** Size of file reads and writes; large enough that syscalls do not dominate. */
const CHUNK = 256 * 1024;

/** Bytes of DATA header in front of each block. */
export const HEADER = 4;

/** A source that can also read synchronously, as a local `Deno.FsFile` can. */
export type SyncByteSource = ByteSource & SyncReadableFile;

function canReadSync(src: ByteSource): src is SyncByteSource {
  return typeof (src as Partial<SyncByteSource>).readSync === "function";
}

/**
 * Hands out DATA packets (header space + payload) for consecutive blocks.
 *
 * A source that reads synchronously (a file in the page cache) is read one
 * block ahead straight into the next packet, while the sender waits for an
 * ACK ({@linkcode prefetch}): no copy, and no hop through Deno's blocking
 * thread pool, which slows the sender most at large block sizes. Other sources, netascii, and a file whose reads turn out to
 * wait for the disk (its {@linkcode SyncGate} closes) are read in 256 KiB
 * chunks, double-buffered and asynchronous, so the ACK wait hides the read.
 */
export class BlockSource {
  readonly #src: ByteSource;
  readonly #blksize: number;
  readonly #netascii: boolean;
  /** Open while whole blocks are read synchronously, one ahead; null for an async-only source. */
  readonly #gate: SyncGate | null;
  /** The next packet, read ahead in sync mode. */
  #ahead: Uint8Array | null = null;
  // Async mode: two read buffers (made on first use); while blocks are cut
  // from one, the next read fills the other.
  #readBufs: Uint8Array[] = [];
  #spare = 0; // index of the buffer not backing #chunk
  #reading: Promise<number | null> | null = null;
  #chunk: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #eof = false;
  #done = false;
  #free: Uint8Array[] = [];

  /**
   * @param src where file bytes come from
   * @param blksize the negotiated block size
   * @param netascii convert LF to CR LF on the way out
   * @param gate decides when a synchronous source's reads go asynchronous
   */
  constructor(src: ByteSource, blksize: number, netascii = false, gate = new SyncGate()) {
    this.#src = src;
    this.#blksize = blksize;
    this.#netascii = netascii;
    this.#gate = !netascii && canReadSync(src) ? gate : null;
  }

  /** True once the last (short) block has been handed out. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Reads the next block ahead into its packet, synchronously, when this
   * source works that way; a no-op otherwise. Call it while waiting for the
   * peer, so the read is off the path from an ACK to the next DATA.
   */
  prefetch(): void {
    if (!this.#gate?.open || this.#ahead || this.#done) return;
    const packet = this.#packet();
    const started = this.#gate.start();
    const n = readFullSync(this.#src as SyncByteSource, packet.subarray(HEADER));
    this.#gate.timed(started);
    this.#ahead = packet.subarray(0, HEADER + n);
  }

  /**
   * The next packet when it is at hand without an await (the hot path: most
   * blocks); null when a read is due first, and then {@linkcode next} is the
   * way.
   */
  tryNext(): Uint8Array | null {
    if (this.#done) throw new Error("BlockSource is exhausted");
    if (!this.#ahead) this.prefetch();
    if (this.#ahead) {
      const packet = this.#ahead;
      this.#ahead = null;
      if (packet.length < HEADER + this.#blksize) this.#done = true;
      return packet;
    }
    const left = this.#chunk.length - this.#pos;
    if (left < this.#blksize && !this.#eof) return null;
    const n = Math.min(this.#blksize, left);
    const packet = this.#packet();
    packet.set(this.#chunk.subarray(this.#pos, this.#pos + n), HEADER);
    this.#pos += n;
    if (n < this.#blksize) this.#done = true;
    return packet.subarray(0, HEADER + n);
  }

  /**
   * The next packet: 4 header bytes for the caller to fill, then up to
   * `blksize` payload bytes. A payload shorter than `blksize` is the last.
   */
  async next(): Promise<Uint8Array> {
    const ready = this.tryNext();
    if (ready) return ready;
    const packet = this.#packet();
    let filled = 0;
    while (filled < this.#blksize) {
      if (this.#pos === this.#chunk.length) {
        if (this.#eof || !(await this.#fill())) break;
      }
      const n = Math.min(
        this.#blksize - filled,
        this.#chunk.length - this.#pos,
      );
      packet.set(
        this.#chunk.subarray(this.#pos, this.#pos + n),
        HEADER + filled,
      );
      this.#pos += n;
      filled += n;
    }
    if (filled < this.#blksize) this.#done = true;
    return packet.subarray(0, HEADER + filled);
  }

  /** Gives an acknowledged packet back for reuse. */
  release(packet: Uint8Array): void {
    if (packet.byteLength === HEADER + this.#blksize) {
      this.#free.push(
        new Uint8Array(packet.buffer, packet.byteOffset, packet.byteLength),
      );
    }
  }

  #packet(): Uint8Array {
    return this.#free.pop() ?? new Uint8Array(HEADER + this.#blksize);
  }

  #readAhead(): void {
    if (this.#readBufs.length === 0) {
      this.#readBufs = [new Uint8Array(CHUNK), new Uint8Array(CHUNK)];
    }
    this.#reading = this.#src.read(this.#readBufs[this.#spare]);
    this.#reading.catch(() => {}); // seen when awaited; never unhandled
  }

  async #fill(): Promise<boolean> {
    if (!this.#reading) this.#readAhead();
    const n = await this.#reading;
    this.#reading = null;
    if (n === null) {
      this.#eof = true;
      return false;
    }
    const raw = this.#readBufs[this.#spare].subarray(0, n);
    this.#chunk = this.#netascii ? netasciiEncode(raw) : raw;
    this.#pos = 0;
    this.#spare ^= 1;
    this.#readAhead();
    return true;
  }
}

/** Collects received payloads and writes them out in large pieces. */
export class BlockSink {
  readonly #sink: ByteSink;
  readonly #decoder: NetasciiDecoder | null;
  readonly #buf = new Uint8Array(CHUNK);
  #len = 0;
  #written = 0;

  /**
   * @param sink where the bytes go
   * @param netascii convert CR LF to LF on the way in
   */
  constructor(sink: ByteSink, netascii = false) {
    this.#sink = sink;
    this.#decoder = netascii ? new NetasciiDecoder() : null;
  }

  /** Bytes handed to the sink so far, after conversion. */
  get written(): number {
    return this.#written + this.#len;
  }

  /**
   * Takes one payload when it fits the buffer without a write out or a
   * netascii conversion, without an await (the hot path: most blocks).
   *
   * @returns false when the payload was not taken: then use {@linkcode write}
   */
  tryWrite(data: Uint8Array): boolean {
    if (this.#decoder || this.#len + data.length > this.#buf.length) return false;
    this.#buf.set(data, this.#len);
    this.#len += data.length;
    return true;
  }

  /** Takes one payload; it is copied, so the caller may reuse its buffer. */
  async write(data: Uint8Array): Promise<void> {
    const bytes = this.#decoder ? this.#decoder.push(data) : data;
    if (this.#len + bytes.length > this.#buf.length) await this.flush();
    if (bytes.length > this.#buf.length) {
      await writeAll(this.#sink, bytes);
      this.#written += bytes.length;
      return;
    }
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  /** Writes out everything buffered (and a held netascii CR at the end). */
  async flush(end = false): Promise<void> {
    if (end && this.#decoder) {
      const tail = this.#decoder.end();
      if (tail.length) await this.write(tail);
    }
    if (this.#len === 0) return;
    await writeAll(this.#sink, this.#buf.subarray(0, this.#len));
    this.#written += this.#len;
    this.#len = 0;
  }
}
