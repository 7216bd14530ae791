/**
 * Credentials for `netkit http`: HTTP Basic (`--auth user:password`) and
 * bearer tokens (`--token`), both compared in constant time through the
 * shared {@linkcode TokenCheck}. Pure: a header in, a verdict out.
 *
 * @module
 */

import { TokenCheck } from "../core/auth.ts";

/** Checks the `Authorization` header of requests. */
export class HttpAuth {
  readonly #basic: TokenCheck | null;
  readonly #bearer: TokenCheck | null;

  /**
   * @param basic `user:password`, or undefined
   * @param token a bearer token, or undefined
   * @throws {RangeError} for an empty token or a `basic` without `:`
   */
  constructor(basic?: string, token?: string) {
    if (basic !== undefined && basic.indexOf(":") < 1) {
      throw new RangeError("--auth must be user:password");
    }
    this.#basic = basic === undefined ? null : new TokenCheck(basic);
    this.#bearer = token === undefined ? null : new TokenCheck(token);
  }

  /** True when any credential is configured. */
  get configured(): boolean {
    return this.#basic !== null || this.#bearer !== null;
  }

  /** The schemes the server accepts, for the page ("basic", "token"). */
  get schemes(): { basic: boolean; token: boolean } {
    return { basic: this.#basic !== null, token: this.#bearer !== null };
  }

  /** True when `header` (an `Authorization` value) carries valid credentials. */
  check(header: string | null): boolean {
    if (header === null) return false;
    const sp = header.indexOf(" ");
    if (sp < 0) return false;
    const scheme = header.slice(0, sp).toLowerCase();
    const value = header.slice(sp + 1).trim();
    if (scheme === "basic" && this.#basic) {
      const bytes = decodeBase64(value);
      return bytes !== null && this.#basic.matches(bytes);
    }
    if (scheme === "bearer" && this.#bearer) {
      return this.#bearer.matches(new TextEncoder().encode(value));
    }
    return false;
  }

  /**
   * The `WWW-Authenticate` challenge. For the listing page's own requests
   * (`quiet`) the scheme is renamed so browsers show the page's message
   * instead of their own password prompt.
   */
  challenge(quiet: boolean): string {
    const scheme = this.#basic ? "Basic" : "Bearer";
    return `${quiet ? "Netkit-" : ""}${scheme} realm="netkit", charset="UTF-8"`;
  }
}

/** Decodes strict base64 to bytes, or null when it is not base64. */
export function decodeBase64(text: string): Uint8Array | null {
  if (text.length > 4096 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    return null;
  }
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
