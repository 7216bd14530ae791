/**
 * The one sign-in throttle of every service: each attempt to sign in must
 * take a token from its address's bucket and from its account's bucket
 * (GCRA: a burst, then one token per interval). Attempts in flight reserve
 * their tokens when they arrive, so parallel guesses queue one behind the
 * other instead of all being checked at once; an attempt that would wait
 * longer than `maxWaitMs` is refused at once, without a password check. A
 * success gives its tokens back, so only failures use them up. An address
 * that signed in to an account before keeps a bucket of its own for that
 * account: guesses from elsewhere, or at other accounts, do not lock the
 * rightful user out.
 *
 * @module
 */

import { NetkitError } from "../errors.ts";
import { addressKey } from "../net/net.ts";

/** Options of {@linkcode AuthThrottle}. */
export interface AuthThrottleOptions {
  /** Attempts an address may make at once before they are spaced out. @default 10 */
  addressBurst?: number;
  /** Then one attempt per this long per address, ms. @default 1000 */
  addressIntervalMs?: number;
  /** Attempts at one account before they are spaced out. @default 10 */
  accountBurst?: number;
  /** Then one attempt per this long per account, ms. @default 2000 */
  accountIntervalMs?: number;
  /** An attempt that would wait longer is refused at once, ms. @default 5000 */
  maxWaitMs?: number;
  /** How long an address that signed in to an account keeps its own bucket for it, ms. @default 30 days */
  trustMs?: number;
  /** Buckets remembered per kind, at most (idle ones go first). @default 10000 */
  maxKeys?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** Who is trying to sign in. */
export interface Attempt {
  /** The client's address. */
  address: string;
  /** The account named, if any (also when it does not exist). */
  account?: string;
}

/** An admitted attempt: report how it went, once. */
export interface Ticket {
  /** The wait before the check may run, ms (0: at once). */
  readonly waitMs: number;
  /** The credentials were right: give the tokens back, trust this address for this account. */
  succeed(): void;
  /** The credentials were wrong: the tokens stay used. */
  fail(): void;
}

/** A GCRA bucket table: the time at which each key's bucket is full again. */
class Buckets {
  readonly #tat = new Map<string, number>();
  constructor(readonly burst: number, readonly interval: number, readonly maxKeys: number) {}

  /** When the next attempt of `key` may run (≥ now). */
  start(key: string, now: number): number {
    const tat = this.#tat.get(key) ?? now;
    return Math.max(now, tat - this.burst * this.interval + this.interval);
  }

  take(key: string, now: number): void {
    const tat = Math.max(this.#tat.get(key) ?? now, now) + this.interval;
    this.#tat.delete(key);
    this.#tat.set(key, tat);
    if (this.#tat.size > this.maxKeys) this.#evict(now);
  }

  give(key: string, now: number): void {
    const tat = this.#tat.get(key);
    if (tat === undefined) return;
    if (tat - this.interval <= now) this.#tat.delete(key);
    else this.#tat.set(key, tat - this.interval);
  }

  /** Full buckets carry nothing: drop them first, then the oldest. */
  #evict(now: number): void {
    for (const [k, tat] of this.#tat) if (tat <= now) this.#tat.delete(k);
    for (const k of this.#tat.keys()) {
      if (this.#tat.size <= this.maxKeys) break;
      this.#tat.delete(k);
    }
  }
}

/** Paces sign-in attempts by address and by account. */
export class AuthThrottle {
  readonly #o: Required<AuthThrottleOptions>;
  readonly #addresses: Buckets;
  readonly #accounts: Buckets;
  /** (address, account) pairs that signed in, and until when they are trusted. */
  readonly #trusted = new Map<string, number>();

  constructor(options: AuthThrottleOptions = {}) {
    const o = this.#o = {
      addressBurst: 10,
      addressIntervalMs: 1000,
      accountBurst: 10,
      accountIntervalMs: 2000,
      maxWaitMs: 5000,
      trustMs: 30 * 86_400_000,
      maxKeys: 10_000,
      now: Date.now,
      ...options,
    };
    this.#addresses = new Buckets(o.addressBurst, o.addressIntervalMs, o.maxKeys);
    this.#accounts = new Buckets(o.accountBurst, o.accountIntervalMs, o.maxKeys);
  }

  /**
   * Admits an attempt: reserves its tokens and says how long it must wait
   * before its check runs.
   *
   * @throws {NetkitError} `BUSY` when it would wait longer than `maxWaitMs`
   *   (nothing is reserved; the message says when to try again)
   */
  admit(attempt: Attempt): Ticket {
    const now = this.#o.now();
    const group = addressKey(attempt.address);
    const account = attempt.account;
    const pair = account === undefined ? null : `${group}\n${account}`;
    const trusted = pair !== null && (this.#trusted.get(pair) ?? 0) > now;
    // A trusted pair has one bucket of its own (an address's limits); else
    // the attempt needs both the address's and the account's.
    const keys: [Buckets, string][] = trusted
      ? [[this.#addresses, `pair ${pair}`]]
      : account === undefined
      ? [[this.#addresses, group]]
      : [[this.#addresses, group], [this.#accounts, account]];
    const start = Math.max(...keys.map(([b, k]) => b.start(k, now)));
    const waitMs = start - now;
    if (waitMs > this.#o.maxWaitMs) {
      throw new NetkitError(
        "BUSY",
        `too many sign-in attempts; try again in ${
          Math.ceil((waitMs - this.#o.maxWaitMs) / 1000)
        } s`,
      );
    }
    for (const [b, k] of keys) b.take(k, now);
    let done = false;
    return {
      waitMs,
      succeed: () => {
        if (done) return;
        done = true;
        const t = this.#o.now();
        for (const [b, k] of keys) b.give(k, t);
        if (pair !== null) this.#trust(pair, t);
      },
      fail: () => void (done = true),
    };
  }

  #trust(pair: string, now: number): void {
    this.#trusted.delete(pair);
    this.#trusted.set(pair, now + this.#o.trustMs);
    if (this.#trusted.size > this.#o.maxKeys) {
      this.#trusted.delete(this.#trusted.keys().next().value!);
    }
  }
}

/** Waits `ms`, or less when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
  });
}
