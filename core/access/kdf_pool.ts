/**
 * Password checks on another core: a Worker (`kdf_worker.ts`) runs each
 * bcrypt or SHA-crypt check, so a storm of sign-ins never stalls the
 * downloads of the event loop that takes them. The queue is bounded: past
 * it, a check is refused at once as `BUSY` rather than waiting behind
 * thousands of others.
 *
 * @module
 */

import { NetkitError } from "../errors.ts";
import type { PasswordHash } from "./password_hash.ts";

/** A check sent to the Worker. */
export interface KdfCommand {
  id: number;
  password: Uint8Array;
  hash: PasswordHash;
}

/** The Worker's answer. */
export interface KdfResult {
  id: number;
  ok: boolean;
}

/** Options of {@linkcode KdfPool}. */
export interface KdfPoolOptions {
  /** Checks queued or running at most; more are refused as `BUSY`. @default 256 */
  maxQueued?: number;
}

const ENTRY = new URL("./kdf_worker.ts", import.meta.url);

/** A Worker that checks passwords, started on first use and stopped by `close`. */
export class KdfPool {
  readonly #maxQueued: number;
  readonly #pending = new Map<number, (ok: boolean) => void>();
  #worker: Worker | null = null;
  #next = 0;

  constructor(options: KdfPoolOptions = {}) {
    this.#maxQueued = options.maxQueued ?? 256;
  }

  /** Checks queued or running now. */
  get queued(): number {
    return this.#pending.size;
  }

  /**
   * True when `password` matches `hash`, checked in the Worker.
   *
   * @throws {NetkitError} `BUSY` when the queue is full, `CLOSED` after `close`
   */
  verify(password: Uint8Array, hash: PasswordHash): Promise<boolean> {
    if (this.#pending.size >= this.#maxQueued) {
      return Promise.reject(new NetkitError("BUSY", "too many sign-ins at once; try again"));
    }
    const id = ++this.#next;
    const w = this.#start();
    const result = new Promise<boolean>((resolve) => this.#pending.set(id, resolve));
    w.postMessage({ id, password, hash } satisfies KdfCommand);
    return result;
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(ENTRY, { type: "module" });
    w.onmessage = (e: MessageEvent<KdfResult>) => {
      const done = this.#pending.get(e.data.id);
      this.#pending.delete(e.data.id);
      done?.(e.data.ok);
    };
    w.onerror = (e) => {
      e.preventDefault();
      this.#failAll();
      this.#worker = null;
    };
    return this.#worker = w;
  }

  /** Every check waiting is answered "no": a broken Worker never lets anyone in. */
  #failAll(): void {
    for (const done of this.#pending.values()) done(false);
    this.#pending.clear();
  }

  /** Stops the Worker; checks still waiting are answered "no". Safe twice. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#failAll();
  }
}
