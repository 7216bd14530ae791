/**
 * Receive-with-timeout for a UDP socket, cheap enough for every packet of a
 * fast transfer. `Deno.DatagramConn.receive` has no timeout, and racing each
 * receive against its own `setTimeout` costs a timer per packet, a large
 * share of a lock-step loop. Here one timer per socket is armed
 * only while someone waits and re-armed lazily when it fires early; a
 * datagram that arrives while nobody waits is kept for the next call.
 *
 * @module
 */

import { NetkitError } from "../core/errors.ts";
import { type Clock, systemClock } from "../core/clock.ts";

/** A received datagram: its bytes (a view into the buffer) and sender. */
export type Datagram = [Uint8Array, Deno.Addr];

interface Waiter {
  resolve(d: Datagram | null): void;
  reject(e: unknown): void;
}

/** Waits for datagrams on one socket, one at a time, with a deadline. */
export class DatagramWaiter {
  readonly #conn: Deno.DatagramConn;
  readonly #buf: Uint8Array;
  readonly #clock: Clock;
  #receiving = false;
  #ready: Datagram | null = null;
  #failed: unknown = null;
  #waiter: Waiter | null = null;
  #deadline = 0;
  /** Cancels the armed timer; undefined when none is armed. */
  #timer: (() => void) | undefined;
  #timerAt = Infinity;
  #signal: AbortSignal | undefined;
  #closed = false;

  /**
   * @param conn the socket to read
   * @param buf where datagrams land; a result is valid until the next `next`
   * @param clock time and timers (a virtual one in tests) @default the real clock
   */
  constructor(conn: Deno.DatagramConn, buf: Uint8Array, clock: Clock = systemClock) {
    this.#conn = conn;
    this.#buf = buf;
    this.#clock = clock;
  }

  /**
   * The next datagram, or null when `ms` pass first.
   *
   * @throws the signal's reason when it aborts; `CLOSED` after `close`
   */
  next(ms: number, signal?: AbortSignal): Promise<Datagram | null> {
    if (this.#closed) {
      return Promise.reject(new NetkitError("CLOSED", "transfer closed"));
    }
    if (signal && signal !== this.#signal) this.#watch(signal);
    signal?.throwIfAborted();
    if (this.#ready) {
      const d = this.#ready;
      this.#ready = null;
      return Promise.resolve(d);
    }
    if (this.#failed) return Promise.reject(this.#failed);
    this.#receive();
    const now = this.#clock.now();
    this.#deadline = now + ms;
    this.#arm(ms, now);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  #receive(): void {
    if (this.#receiving) return;
    this.#receiving = true;
    this.#conn.receive(this.#buf).then((d) => {
      this.#receiving = false;
      const w = this.#waiter;
      this.#waiter = null;
      if (w) w.resolve(d);
      else this.#ready = d;
    }, (e) => {
      this.#receiving = false;
      this.#failed = this.#closed ? new NetkitError("CLOSED", "transfer closed") : e;
      const w = this.#waiter;
      this.#waiter = null;
      w?.reject(this.#failed);
    });
  }

  /** Makes sure the timer fires no later than `ms` from `now`. */
  #arm(ms: number, now = this.#clock.now()): void {
    const at = now + ms;
    if (this.#timer !== undefined && this.#timerAt <= at + 1) return;
    this.#timer?.();
    this.#timerAt = at;
    this.#timer = this.#clock.after(Math.max(0, ms), () => this.#fire());
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (!this.#waiter) return; // nobody waits: stay unarmed
    const left = this.#deadline - this.#clock.now();
    if (left > 0.5) {
      this.#arm(left); // armed for an older, later deadline's wait: re-arm
      return;
    }
    const w = this.#waiter;
    this.#waiter = null;
    w.resolve(null);
  }

  #onAbort = () => {
    const w = this.#waiter;
    this.#waiter = null;
    w?.reject(this.#signal?.reason);
  };

  /** Listens to one signal at a time (a transfer keeps the same one). */
  #watch(signal: AbortSignal): void {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#signal = signal;
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Stops waiting: a pending `next` rejects with `CLOSED`. Does not close the socket. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#timer?.();
    this.#timer = undefined;
    const w = this.#waiter;
    this.#waiter = null;
    w?.reject(new NetkitError("CLOSED", "transfer closed"));
  }
}
