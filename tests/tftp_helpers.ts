/**
 * Test helpers for TFTP: temp folders, a server on a free port, a raw UDP
 * peer that speaks packets by hand, in-memory byte sources and sinks, and
 * netkit's client getting into and putting from memory.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ByteSink, ByteSource } from "../protocol/file/frame_stream.ts";
import { decodePacket, encodePacket, type Packet } from "../protocol/tftp/packet.ts";
import { concat } from "./protocol_samples.ts";
import { startTftpServer, type TftpServer, type TftpServerOptions } from "../tftp/server.ts";
import { type ClientResult, type TftpClientOptions, tftpGet, tftpPut } from "../tftp/client.ts";
import type { SyncByteSource } from "../tftp/blocks.ts";

/** A UDP socket on 127.0.0.1 and a free port. */
export function loopbackUdp(): Deno.DatagramConn {
  return Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
}

/** A temp folder removed on dispose. */
export async function tempDir(): Promise<
  { path: string } & AsyncDisposable
> {
  const path = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "netkit-tftp-" }),
  );
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** Starts a server on 127.0.0.1 and a free port, with short timeouts for tests. */
export function startServer(
  root: string,
  options: Partial<TftpServerOptions> = {},
): Promise<TftpServer> {
  return startTftpServer({
    root,
    port: 0,
    timeoutMs: 200,
    retries: 5,
    ...options,
  });
}

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function pseudoRandomBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A sink that keeps everything in memory. */
export function memorySink(): ByteSink & { bytes(): Uint8Array } {
  const parts: Uint8Array[] = [];
  return {
    write(p) {
      parts.push(p.slice());
      return Promise.resolve(p.length);
    },
    bytes: () => concat(parts),
  };
}

/** Reads from `bytes` into each buffer given, at most `piece` bytes a call; null at the end. */
function pieceReader(bytes: Uint8Array, piece: number): (p: Uint8Array) => number | null {
  let at = 0;
  return (p) => {
    if (at >= bytes.length) return null;
    const n = Math.min(p.length, piece, bytes.length - at);
    p.set(bytes.subarray(at, at + n));
    at += n;
    return n;
  };
}

/** A source reading from a byte array in pieces of at most `piece`. */
export function memorySource(bytes: Uint8Array, piece = 100_000): ByteSource {
  const take = pieceReader(bytes, piece);
  return { read: (p) => Promise.resolve(take(p)) };
}

/** Downloads `remote` into memory with netkit's client: the transfer's result and the bytes. */
export async function getToMemory(
  remote: string,
  o: TftpClientOptions,
): Promise<ClientResult & { data: Uint8Array }> {
  const sink = memorySink();
  const r = await tftpGet(remote, sink, o);
  return { ...r, data: sink.bytes() };
}

/** Uploads `data` as `remote` with netkit's client, its size announced (tsize). */
export function putFromMemory(
  remote: string,
  data: Uint8Array,
  o: TftpClientOptions,
): Promise<ClientResult> {
  return tftpPut(remote, memorySource(data), data.length, o);
}

/**
 * A source over `bytes` that also reads synchronously, as a file does,
 * handing out at most `piece` bytes per read. `stall(i)` says how many ms the
 * i-th synchronous read (from 0) takes on the virtual clock `now`, to play a
 * read from the disk; give a BlockSource `new SyncGate(() => src.now)`.
 */
export function memorySyncSource(
  bytes: Uint8Array,
  piece = 100_000,
  stall: (i: number) => number = () => 0,
): SyncByteSource & { syncReads: number; asyncReads: number; now: number } {
  const take = pieceReader(bytes, piece);
  return {
    syncReads: 0,
    asyncReads: 0,
    now: 0,
    readSync(p) {
      this.now += stall(this.syncReads++);
      return take(p);
    },
    read(p) {
      this.asyncReads++;
      return Promise.resolve(take(p));
    },
  };
}

/** A datagram received by {@linkcode RawPeer}. */
export interface Received {
  packet: Packet;
  from: Deno.NetAddr;
}

/** A hand-driven UDP endpoint for protocol tests. */
export class RawPeer implements Disposable {
  readonly conn = loopbackUdp();
  #pending: Promise<[Uint8Array, Deno.Addr]> | null = null;
  readonly #buf = new Uint8Array(70000);

  /** Sends a packet (or raw bytes) to `to`. */
  async send(p: Packet | Uint8Array, to: Deno.NetAddr): Promise<void> {
    await this.conn.send(p instanceof Uint8Array ? p : encodePacket(p), to);
  }

  /** The next datagram within `ms`, decoded (DATA copied), or null. */
  async recv(ms = 2000): Promise<Received | null> {
    this.#pending ??= this.conn.receive(this.#buf);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((r) => timer = setTimeout(r, ms, null));
    try {
      const got = await Promise.race([this.#pending, timeout]);
      if (got === null) return null;
      this.#pending = null;
      const packet = decodePacket(got[0].slice());
      return { packet, from: got[1] as Deno.NetAddr };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Starts a lock-step upload of `filename` to `server`: WRQ, then a full
   * 512-byte DATA 1, each acknowledged. Returns the transfer's address, the
   * ACK of block 1, and when DATA 1 was sent (the server's retransmission
   * clock starts after that moment).
   */
  async beginUpload(
    server: Deno.NetAddr,
    filename = "up",
  ): Promise<{ to: Deno.NetAddr; ack1: Packet; dataSentAt: number }> {
    await this.send({ op: "WRQ", filename, mode: "octet", options: new Map() }, server);
    const ack0 = await this.expect();
    assert.deepEqual(ack0.packet, { op: "ACK", block: 0 });
    const dataSentAt = performance.now();
    await this.send({ op: "DATA", block: 1, data: new Uint8Array(512) }, ack0.from);
    const ack1 = await this.expect();
    assert.deepEqual(ack1.packet, { op: "ACK", block: 1 });
    return { to: ack0.from, ack1: ack1.packet, dataSentAt };
  }

  /** Like `recv`, but fails the test on timeout. */
  async expect(ms = 2000): Promise<Received> {
    const r = await this.recv(ms);
    if (!r) throw new Error(`no packet within ${ms} ms`);
    return r;
  }

  [Symbol.dispose](): void {
    this.conn.close();
    this.#pending?.catch(() => {});
  }
}

/** Lists a folder's entry names, sorted. */
export async function listNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

/** Resolves when `log` receives a line matching `pattern` (bounded by `ms`). */
export function logWaiter(): {
  log: (line: string) => void;
  lines: string[];
  waitFor(pattern: RegExp, ms?: number): Promise<string>;
} {
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  return {
    lines,
    log(line) {
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.re.test(line)) w.resolve(line);
        else waiters.push(w);
      }
    },
    waitFor(re, ms = 5000) {
      const hit = lines.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no log line ${re} within ${ms} ms`)),
          ms,
        );
        waiters.push({
          re,
          resolve: (l) => (clearTimeout(timer), resolve(l)),
        });
      });
    },
  };
}
