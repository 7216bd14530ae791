/**
 * How a file-service request can fail besides a plain {@linkcode NetkitError}:
 * with a failure the client was already told about, or with the client gone.
 * The session tells these apart to log the request and decide what to send.
 *
 * @module
 */

import { isNetkitError } from "../core/errors.ts";

/** A failure the peer was already told about: logged, not sent again. */
export class Reported extends Error {
  constructor(readonly inner: { code: string; message: string }) {
    super(inner.message);
  }
}

/** True when `e` says the connection is gone (closed here, or by the peer). */
export function isDisconnect(e: unknown): boolean {
  return isNetkitError(e, "CLOSED") ||
    e instanceof Deno.errors.BadResource ||
    e instanceof Deno.errors.ConnectionReset ||
    e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.Interrupted ||
    e instanceof Deno.errors.ConnectionAborted;
}
