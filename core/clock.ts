/**
 * Time and timers as a value, so code that redraws or times out on a clock
 * can be tested on a virtual one, with no waiting and no race with the
 * machine's speed.
 *
 * @module
 */

/** A monotonic clock with timers. */
export interface Clock {
  /** Milliseconds on a monotonic scale (not the time of day). */
  now(): number;
  /** Calls `fn` once after `ms`; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
  /** Calls `fn` every `ms`; the returned function stops it. */
  every(ms: number, fn: () => void): () => void;
}

/** The real clock: `performance.now()` and the runtime's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  after(ms, fn) {
    const id = setTimeout(fn, ms);
    return () => clearTimeout(id);
  },
  every(ms, fn) {
    const id = setInterval(fn, ms);
    return () => clearInterval(id);
  },
};
