/**
 * Constant-time comparison of a secret the client offers (a token, or
 * `user:password` given on the command line) with the server's. The
 * throttle that paces failures is `auth_throttle.ts`; signing in as a whole
 * is `sign_in.ts`.
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
