/**
 * The credential check of `netkit http` as requests meet it: the
 * `Authorization` header checked by {@linkcode HttpAuth}, after a growing wait
 * once an address has failed a few times (the shared failure throttle), and
 * the 401 answer with its challenge.
 *
 * @module
 */

import { AuthThrottle, type AuthThrottleOptions } from "../core/auth.ts";
import { HttpAuth } from "./auth.ts";
import { reply } from "./plain_text.ts";

/** Options of {@linkcode CredentialGate}. */
export interface CredentialOptions {
  /** `user:password` for HTTP Basic authentication. */
  auth?: string;
  /** A bearer token. */
  token?: string;
  /** How wrong credentials are slowed down. */
  authThrottle?: AuthThrottleOptions;
}

/** Checks requests' credentials, pacing repeated failures from one address. */
export class CredentialGate {
  readonly #auth: HttpAuth;
  readonly #throttle: AuthThrottle;
  readonly #common: [string, string][];

  /**
   * @param options the credentials
   * @param common headers on every response
   */
  constructor(options: CredentialOptions, common: [string, string][]) {
    this.#auth = new HttpAuth(options.auth, options.token ?? undefined);
    this.#throttle = new AuthThrottle(options.authThrottle);
    this.#common = common;
  }

  /** True when any credential is configured. */
  get configured(): boolean {
    return this.#auth.configured;
  }

  /** The schemes accepted, for the listing page. */
  get schemes(): { basic: boolean; token: boolean } {
    return this.#auth.schemes;
  }

  /**
   * True when `req` carries valid credentials; answered after a wait when
   * `remote` has failed a few times.
   */
  check(req: Request, remote: string): boolean | Promise<boolean> {
    const wait = this.#throttle.delayFor(remote);
    if (wait === 0) return this.#verdict(req, remote);
    return new Promise((resolve) => setTimeout(() => resolve(this.#verdict(req, remote)), wait));
  }

  /** The 401 answer, with a challenge the listing page's own requests do not turn into a prompt. */
  unauthorized(req: Request): Response {
    return reply(401, "credentials needed", [...this.#common, [
      "www-authenticate",
      this.#auth.challenge(req.headers.has("x-netkit")),
    ]]);
  }

  /**
   * Runs `then` when `req` carries valid credentials, else answers 401:
   * without an await when no wait is due.
   */
  guard(
    req: Request,
    remote: string,
    then: () => Response | Promise<Response>,
  ): Response | Promise<Response> {
    const ok = this.check(req, remote);
    if (ok === true) return then();
    if (ok === false) return this.unauthorized(req);
    return ok.then((yes) => yes ? then() : this.unauthorized(req));
  }

  #verdict(req: Request, remote: string): boolean {
    const header = req.headers.get("authorization");
    const ok = this.#auth.check(header);
    if (ok) this.#throttle.succeed(remote);
    else if (header !== null) this.#throttle.fail(remote); // a guess, not a first anonymous visit
    return ok;
  }
}
