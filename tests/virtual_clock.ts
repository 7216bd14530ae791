/**
 * A virtual {@linkcode Clock} for tests: time stands still until the test
 * moves it with `advance`, which runs every timer that falls due, in order.
 *
 * @module
 */

import type { Clock } from "../core/clock.ts";

interface Timer {
  at: number;
  every: number | null;
  fn: () => void;
}

/** A clock that moves only when told to. */
export class VirtualClock implements Clock {
  #now = 0;
  #timers = new Set<Timer>();

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void): () => void {
    return this.#add({ at: this.#now + ms, every: null, fn });
  }

  every(ms: number, fn: () => void): () => void {
    return this.#add({ at: this.#now + ms, every: Math.max(1, ms), fn });
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time on by `ms`, firing each timer as its moment comes. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (let fired = 0; fired < 1_000_000; fired++) {
      let next: Timer | null = null;
      for (const t of this.#timers) if (t.at <= end && (next === null || t.at < next.at)) next = t;
      if (next === null) break;
      this.#now = next.at;
      if (next.every === null) this.#timers.delete(next);
      else next.at += next.every;
      next.fn();
    }
    this.#now = end;
  }

  #add(t: Timer): () => void {
    this.#timers.add(t);
    return () => void this.#timers.delete(t);
  }
}
