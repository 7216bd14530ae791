/**
 * Hashing files on other cores: a small pool of Worker isolates
 * (`hash_worker.ts`) that read and hash files while the main thread moves
 * bytes, so a large verified transfer never stalls the other clients of the
 * same event loop. A job may follow a file that is still being written.
 *
 * @module
 */

import type { HashName } from "./hash.ts";
import { NetkitError } from "../errors.ts";
import { type FileVersion, versionOf } from "../file_version.ts";

/** A message to the hash Worker. */
export type HashJobCommand =
  | {
    type: "start";
    id: number;
    path: string;
    hash: HashName;
    /** Bytes readable now. */
    ready: number;
    /** The final length, when known. */
    final: number | null;
    /** Refuse a file that is not this version of it. */
    expect: FileVersion | null;
  }
  | { type: "advance"; id: number; ready: number }
  | { type: "finish"; id: number; final: number }
  | { type: "cancel"; id: number };

/** A message from the hash Worker. */
export type HashJobEvent =
  | { type: "digest"; id: number; digest: Uint8Array }
  | { type: "error"; id: number; message: string };

const ENTRY = new URL("./hash_worker.ts", import.meta.url);

/** One file being hashed on another core. */
export class FileHashJob {
  readonly #worker: Worker;
  readonly #id: number;
  readonly #result: Promise<Uint8Array>;
  #settled = false;

  /** @internal use {@linkcode HashPool.hashFile} */
  constructor(worker: Worker, id: number, result: Promise<Uint8Array>) {
    this.#worker = worker;
    this.#id = id;
    this.#result = result;
    result.then(() => this.#settled = true, () => this.#settled = true);
  }

  /** Says the first `ready` bytes of the file are written and may be read. */
  advance(ready: number): void {
    if (!this.#settled) this.#worker.postMessage({ type: "advance", id: this.#id, ready });
  }

  /** Says the file is `final` bytes long, and waits for its digest. */
  finish(final: number): Promise<Uint8Array> {
    if (!this.#settled) this.#worker.postMessage({ type: "finish", id: this.#id, final });
    return this.#result;
  }

  /** Stops the job; its result is then never used. */
  cancel(): void {
    this.#result.catch(() => {});
    if (!this.#settled) this.#worker.postMessage({ type: "cancel", id: this.#id });
  }
}

/** Options of {@linkcode HashPool.hashFile}. */
export interface HashFileOptions {
  /** Bytes readable now. @default 0 */
  ready?: number;
  /** The final length, when known now. @default unknown */
  final?: number;
  /** The file must be this version of it (`file_version.ts`), not one swapped in. */
  expect?: Deno.FileInfo;
}

/** A pool of hash Workers, started on first use. */
export class HashPool {
  readonly #size: number;
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, { resolve(d: Uint8Array): void; reject(e: Error): void }>();
  #next = 0;
  #users = 0;

  /** @param size Workers in the pool. @default 1 */
  constructor(size = 1) {
    this.#size = size;
  }

  #worker(): Worker {
    if (this.#workers.length < this.#size) {
      const w = new Worker(ENTRY, { type: "module" });
      w.onmessage = (e: MessageEvent<HashJobEvent>) => {
        const m = e.data;
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        if (m.type === "digest") p.resolve(m.digest);
        else p.reject(new NetkitError("INTERNAL", `hashing failed: ${m.message}`));
      };
      w.onerror = (e) => {
        e.preventDefault();
        for (const p of this.#pending.values()) p.reject(new Error(`hash worker: ${e.message}`));
        this.#pending.clear();
      };
      this.#workers.push(w);
      return w;
    }
    return this.#workers[this.#next % this.#workers.length];
  }

  /** Starts hashing `path` with `hash`. */
  hashFile(path: string, hash: HashName, options: HashFileOptions = {}): FileHashJob {
    const id = ++this.#next;
    const worker = this.#worker();
    const result = new Promise<Uint8Array>((resolve, reject) =>
      this.#pending.set(id, { resolve, reject })
    );
    const e = options.expect;
    const cmd: HashJobCommand = {
      type: "start",
      id,
      path,
      hash,
      ready: options.ready ?? options.final ?? 0,
      final: options.final ?? null,
      expect: e ? versionOf(e) : null,
    };
    worker.postMessage(cmd);
    return new FileHashJob(worker, id, result);
  }

  /** Counts one more user (a server, a client); pair with {@linkcode HashPool.release}. */
  acquire(): this {
    this.#users++;
    return this;
  }

  /** Counts one user less; the Workers stop when the last one leaves. */
  release(): void {
    if (--this.#users > 0) return;
    for (const w of this.#workers) w.terminate();
    this.#workers.length = 0;
    for (const p of this.#pending.values()) p.reject(new NetkitError("CLOSED", "hash pool closed"));
    this.#pending.clear();
  }
}

/** Transfers at least this large are hashed on another core; smaller ones inline. */
export const OFFLOAD_MIN_BYTES = 8 << 20;

/** Something that takes received bytes, as `receiveData` writes them. */
export interface ChunkWriter {
  write(bytes: Uint8Array): Promise<void>;
}

/**
 * Wraps the writer of a file being received so a hash job follows it: after
 * each write lands, the job may read that far. Returns the wrapped writer and
 * the digest source for `receiveData`, which resolves once the file is
 * `total` bytes long and hashed.
 */
export function followWrites(
  job: FileHashJob,
  start: number,
  total: number,
  out: ChunkWriter,
): {
  out: ChunkWriter;
  source: { update(bytes: Uint8Array): void; digest(): Promise<Uint8Array> };
} {
  let written = start;
  return {
    out: {
      async write(bytes) {
        await out.write(bytes);
        written += bytes.length;
        job.advance(written);
      },
    },
    source: { update() {}, digest: () => job.finish(total) },
  };
}
