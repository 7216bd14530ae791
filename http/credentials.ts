/**
 * Who sent a request to `netkit http`: anonymous without an `Authorization`
 * header, else the user or token holder it proves (`core/access/sign_in.ts`:
 * cached once checked, so a keep-alive connection pays one KDF, and paced by
 * the shared throttle). Wrong credentials get 401 with a challenge; a
 * throttled attempt gets 429.
 *
 * @module
 */

import { anonymous, type Subject } from "../core/access/access_rules.ts";
import { isNetkitError } from "../core/errors.ts";
import type { Identity, SignIn } from "../core/access/sign_in.ts";
import { addressOf, type Peer } from "./handler.ts";
import { reply } from "./plain_text.ts";

/**
 * A subject whose address is read from `peer` only if a rule asks for it
 * (each read is a call into Deno). A class, not an object literal with a
 * getter: V8 builds those on a slow path, and a server makes one a request.
 */
export class PeerSubject implements Subject {
  readonly user: string | null;
  readonly signedIn: boolean;
  readonly #peer: Peer | undefined;
  #address: string | undefined;

  constructor(user: string | null, signedIn: boolean, peer: Peer | undefined) {
    this.user = user;
    this.signedIn = signedIn;
    this.#peer = peer;
  }

  get address(): string {
    return this.#address ??= addressOf(this.#peer);
  }
}

const encoder = new TextEncoder();

/** The anonymous subject, shared when no rule looks at addresses. */
const ANONYMOUS: Subject = Object.freeze(anonymous());

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

type Offered =
  | { kind: "password"; user: string; password: Uint8Array }
  | { kind: "token"; token: Uint8Array };

/** What an `Authorization` value offers; null when it is not Basic or Bearer, or malformed. */
export function parseAuthorization(header: string): Offered | null {
  const sp = header.indexOf(" ");
  if (sp < 0) return null;
  const scheme = header.slice(0, sp).toLowerCase();
  const value = header.slice(sp + 1).trim();
  if (scheme === "bearer" && value !== "") return { kind: "token", token: encoder.encode(value) };
  if (scheme !== "basic") return null;
  const bytes = decodeBase64(value);
  const colon = bytes?.indexOf(0x3a) ?? -1;
  if (!bytes || colon < 1) return null;
  let user: string;
  try {
    user = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, colon));
  } catch {
    return null;
  }
  return { kind: "password", user, password: bytes.slice(colon + 1) };
}

/** Finds out who sent each request. */
export class CredentialGate {
  readonly #signIn: SignIn;
  readonly #common: [string, string][];
  readonly #addresses: boolean;
  /** One subject per signed-in identity, when no rule looks at addresses. */
  readonly #subjects = new WeakMap<Identity, Subject>();

  /**
   * @param signIn the credential check
   * @param common headers on every response
   * @param addresses some rule looks at the client's address (`@NET`)
   */
  constructor(signIn: SignIn, common: [string, string][], addresses = true) {
    this.#signIn = signIn;
    this.#common = common;
    this.#addresses = addresses;
  }

  /** The subject of a request from `peer` that offers no credentials. */
  anonymous(peer: Peer | undefined): Subject {
    return this.#addresses ? new PeerSubject(null, false, peer) : ANONYMOUS;
  }

  /** True when any credential is configured. */
  get configured(): boolean {
    return this.#signIn.configured;
  }

  /** The schemes accepted, for the listing page. */
  get schemes(): { basic: boolean; token: boolean } {
    return this.#signIn.schemes;
  }

  /**
   * The subject of `req`: anonymous without credentials; the signed-in user
   * (from the cache, without an await, once known); or the 401 or 429
   * answer for wrong or throttled credentials.
   */
  subject(req: Request, peer: Peer | undefined): Subject | Response | Promise<Subject | Response> {
    const header = req.headers.get("authorization");
    if (header === null || !this.configured) return this.anonymous(peer);
    const key = this.#signIn.keyOf(header);
    const known = this.#signIn.cached(key);
    if (known !== undefined) return this.#answer(req, known, peer);
    const offered = parseAuthorization(header);
    if (offered === null) return this.unauthorized(req);
    try {
      const got = this.#signIn.check(offered, addressOf(peer), key);
      if (!(got instanceof Promise)) return this.#answer(req, got, peer);
      return got.then((id) => this.#answer(req, id, peer), (e) => this.#refused(e));
    } catch (e) {
      return this.#refused(e);
    }
  }

  #answer(req: Request, id: Identity | null, peer: Peer | undefined): Subject | Response {
    if (id === null) return this.unauthorized(req);
    if (this.#addresses) return new PeerSubject(id.user, true, peer);
    let s = this.#subjects.get(id);
    if (!s) this.#subjects.set(id, s = { user: id.user, signedIn: true, address: "" });
    return s;
  }

  #refused(e: unknown): Response {
    if (!isNetkitError(e, "BUSY")) throw e;
    return reply(429, e.message, [...this.#common, ["retry-after", "5"]]);
  }

  /**
   * The 401 answer with a challenge. For the listing page's own requests
   * (`X-Netkit`) the scheme is renamed so browsers show the page's message
   * instead of their own password prompt.
   */
  unauthorized(req: Request, message = "credentials needed"): Response {
    const quiet = req.headers.has("x-netkit");
    const scheme = this.schemes.basic ? "Basic" : "Bearer";
    return reply(401, message, [...this.#common, [
      "www-authenticate",
      `${quiet ? "Netkit-" : ""}${scheme} realm="netkit", charset="UTF-8"`,
    ]]);
  }
}
