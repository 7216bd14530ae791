/**
 * Signing in, the same for every service: a user's password (from
 * `--auth USER:PASSWORD` or the `--users` htpasswd file) or the server's
 * token, checked at most once per credential: the verdict is cached under a
 * keyed hash of the credential (`credential_key.ts`; never the credential
 * itself), bounded, expiring, and void as soon as the users file changes. A check that is not
 * cached passes the shared throttle first (`auth_throttle.ts`), then runs
 * its KDF in the Worker (`kdf_pool.ts`). An unknown user costs the same KDF
 * as a known one, and gets the same answer as a wrong password.
 *
 * @module
 */

import { AuthThrottle, type AuthThrottleOptions, pause } from "./auth_throttle.ts";
import { TokenCheck } from "./auth.ts";
import { KdfPool } from "./kdf_pool.ts";
import { type CredentialKeys, credentialKeys } from "./credential_key.ts";
import type { UserFile } from "./users.ts";

/** What a client offers. */
export type Credentials =
  | { kind: "password"; user: string; password: Uint8Array }
  | { kind: "token"; token: Uint8Array };

/** Someone signed in: a user, or (`user` null) the holder of the server's token. */
export interface Identity {
  readonly user: string | null;
}

/** Options of {@linkcode SignIn}. */
export interface SignInOptions {
  /** `user:password` (`--auth`). */
  auth?: string;
  /** The server's token (`--token`). */
  token?: string | null;
  /** The accounts of `--users`. */
  users?: UserFile | null;
  /** How failures are paced. */
  throttle?: AuthThrottleOptions;
  /** Verdicts kept, at most. @default 10000 */
  cacheEntries?: number;
  /** How long a right credential stays known, ms. @default 300000 */
  cacheMs?: number;
  /** How long a wrong one stays known, ms. @default 60000 */
  failureCacheMs?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

interface Verdict {
  identity: Identity | null;
  generation: number;
  until: number;
}

const encoder = new TextEncoder();

/** Checks credentials; see the module doc. */
export class SignIn {
  readonly #static: { user: string; check: TokenCheck } | null;
  readonly #token: TokenCheck | null;
  readonly #users: UserFile | null;
  readonly #throttle: AuthThrottle;
  readonly #kdf = new KdfPool();
  /** Verdicts by key, oldest first (a hit does not reorder: each expires anyway). */
  readonly #cache = new Map<string, Verdict>();
  readonly #cacheEntries: number;
  readonly #inFlight = new Map<string, Promise<Identity | null>>();
  readonly #keys: CredentialKeys;
  readonly #cacheMs: number;
  readonly #failureCacheMs: number;
  readonly #now: () => number;

  /**
   * A sign-in for `o`, its key hash loaded.
   *
   * @throws {RangeError} for an `auth` without `user:` or an empty token
   */
  static async open(o: SignInOptions = {}): Promise<SignIn> {
    return new SignIn(o, await credentialKeys());
  }

  private constructor(o: SignInOptions, keys: CredentialKeys) {
    this.#keys = keys;
    if (o.auth !== undefined) {
      const colon = o.auth.indexOf(":");
      if (colon < 1) throw new RangeError("--auth must be user:password");
      this.#static = { user: o.auth.slice(0, colon), check: new TokenCheck(o.auth) };
    } else this.#static = null;
    this.#token = o.token ? new TokenCheck(o.token) : null;
    this.#users = o.users ?? null;
    this.#throttle = new AuthThrottle(o.now ? { now: o.now, ...o.throttle } : o.throttle);
    this.#cacheEntries = o.cacheEntries ?? 10_000;
    this.#cacheMs = o.cacheMs ?? 300_000;
    this.#failureCacheMs = o.failureCacheMs ?? 60_000;
    this.#now = o.now ?? Date.now;
  }

  /** True when any credential is configured. */
  get configured(): boolean {
    return this.#static !== null || this.#token !== null || this.#users !== null;
  }

  /** Which kinds of credentials are taken. */
  get schemes(): { basic: boolean; token: boolean } {
    return { basic: this.#static !== null || this.#users !== null, token: this.#token !== null };
  }

  /** True when `user` has an account (`--auth` or the users file). */
  knows(user: string): boolean {
    return this.#static?.user === user || (this.#users?.has(user) ?? false);
  }

  /**
   * The cache key of a credential as the client spelled it (an HTTP
   * `Authorization` value, say): a keyed hash, so the cache never holds the
   * credential.
   */
  keyOf(spelling: string): string {
    return this.#keys(spelling);
  }

  /**
   * The verdict already known for `key`, without any work: an identity, null
   * for a credential known to be wrong, or undefined when not known.
   */
  cached(key: string): Identity | null | undefined {
    const v = this.#cache.get(key);
    if (v === undefined) return undefined;
    if (v.until <= this.#now() || v.generation !== this.generation) {
      this.#cache.delete(key);
      return undefined;
    }
    return v.identity;
  }

  /** The users file's generation (0 without one). */
  get generation(): number {
    return this.#users?.generation ?? 0;
  }

  /**
   * Checks `creds` from `address`: from the cache when `key` is known, else
   * through the throttle and the KDF (one check per key at a time).
   *
   * @returns the identity, or null for wrong credentials
   * @throws {NetkitError} `BUSY` when the throttle or the KDF queue refuses the attempt
   */
  check(
    creds: Credentials,
    address: string,
    key: string,
    signal?: AbortSignal,
  ): Identity | null | Promise<Identity | null> {
    const known = this.cached(key);
    if (known !== undefined) return known;
    let running = this.#inFlight.get(key);
    if (!running) {
      running = this.#verify(creds, address, key, signal)
        .finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, running);
    }
    return running;
  }

  async #verify(
    creds: Credentials,
    address: string,
    key: string,
    signal?: AbortSignal,
  ): Promise<Identity | null> {
    // Token guesses share one pseudo-account (no user name can hold a NUL).
    const account = creds.kind === "password" ? creds.user : "\0token";
    const ticket = this.#throttle.admit({ address, account });
    await pause(ticket.waitMs, signal);
    const generation = this.generation;
    const identity = await this.#match(creds);
    if (identity) ticket.succeed();
    else ticket.fail();
    const ttl = identity ? this.#cacheMs : this.#failureCacheMs;
    this.#cache.delete(key);
    this.#cache.set(key, { identity, generation, until: this.#now() + ttl });
    if (this.#cache.size > this.#cacheEntries) this.#cache.delete(this.#cache.keys().next().value!);
    return identity;
  }

  async #match(creds: Credentials): Promise<Identity | null> {
    if (creds.kind === "token") return this.#token?.matches(creds.token) ? { user: null } : null;
    const { user, password } = creds;
    if (this.#static?.user === user) {
      const spelled = encoder.encode(`${user}:`);
      const whole = new Uint8Array(spelled.length + password.length);
      whole.set(spelled);
      whole.set(password, spelled.length);
      return this.#static.check.matches(whole) ? { user } : null;
    }
    const users = this.#users;
    if (!users) return null;
    const hash = users.lookup(user);
    const against = hash ?? users.dummy; // an unknown user costs the same work
    if (!against) return null;
    const ok = await this.#kdf.verify(password, against);
    return ok && hash !== null ? { user } : null;
  }

  /** Stops the KDF Worker. Safe twice. */
  close(): void {
    this.#kdf.close();
  }
}
