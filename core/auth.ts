/**
 * Token authentication for the file service: a constant-time comparison of
 * the client's token with the server's, and a throttle that slows down a run
 * of failures from one address (so guessing a token costs time, while other
 * clients are not slowed at all).
 *
 * @module
 */

import { createHash } from "node:crypto";

const encoder = new TextEncoder();

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

/**
 * Checks tokens in constant time: both sides are hashed first, so neither the
 * content nor the length of the expected token leaks through timing.
 */
export class TokenCheck {
  readonly #expected: Uint8Array;

  /** @param token the shared secret; must not be empty */
  constructor(token: string) {
    if (token === "") throw new RangeError("token must not be empty");
    this.#expected = sha256(encoder.encode(token));
  }

  /** True when `offered` is the token. */
  matches(offered: Uint8Array): boolean {
    const got = sha256(offered);
    let diff = 0;
    for (let i = 0; i < got.length; i++) diff |= got[i] ^ this.#expected[i];
    return diff === 0;
  }
}

/** Options of {@linkcode AuthThrottle}. */
export interface AuthThrottleOptions {
  /** Failures allowed before answers slow down. @default 3 */
  freeFailures?: number;
  /** The first delay, doubled for each further failure, ms. @default 250 */
  baseDelayMs?: number;
  /** The longest delay, ms. @default 8000 */
  maxDelayMs?: number;
  /** A failure is forgotten after this long, ms. @default 600000 */
  forgetAfterMs?: number;
  /** Addresses remembered at most (the oldest go first). @default 10000 */
  maxAddresses?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

/**
 * Remembers recent authentication failures per address and says how long to
 * wait before answering the next attempt from that address.
 */
export class AuthThrottle {
  readonly #o: Required<AuthThrottleOptions>;
  readonly #failures = new Map<string, { count: number; last: number }>();

  constructor(options: AuthThrottleOptions = {}) {
    this.#o = {
      freeFailures: 3,
      baseDelayMs: 250,
      maxDelayMs: 8000,
      forgetAfterMs: 600_000,
      maxAddresses: 10_000,
      now: Date.now,
      ...options,
    };
  }

  /** How long to hold the next attempt from `address` before answering it, ms. */
  delayFor(address: string): number {
    const f = this.#failures.get(address);
    if (!f) return 0;
    if (this.#o.now() - f.last > this.#o.forgetAfterMs) {
      this.#failures.delete(address);
      return 0;
    }
    const over = f.count - this.#o.freeFailures;
    if (over < 0) return 0;
    return Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** Math.min(over, 30));
  }

  /** Records a failed attempt. */
  fail(address: string): void {
    const f = this.#failures.get(address) ?? { count: 0, last: 0 };
    this.#failures.delete(address);
    this.#failures.set(address, { count: f.count + 1, last: this.#o.now() });
    if (this.#failures.size > this.#o.maxAddresses) {
      this.#failures.delete(this.#failures.keys().next().value!);
    }
  }

  /** Forgets the failures of an address that authenticated. */
  succeed(address: string): void {
    this.#failures.delete(address);
  }
}
