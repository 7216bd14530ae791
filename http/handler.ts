/**
 * The shape of `netkit http`'s request handling: a handler answers a
 * `Request` with a `Response` (synchronously when the answer is in memory),
 * and a layer wraps a handler with one concern (credentials, writes,
 * archives) and hands everything else to the handler inside it. Tests call
 * handlers with `new Request(...)`: no socket needed.
 *
 * @module
 */

/**
 * Where a request came from: `Deno.serve`'s handler info fits. Its address is
 * read only when needed (each read is a call into Deno).
 */
export interface Peer {
  readonly remoteAddr: { readonly hostname: string };
}

/** Answers one request. */
export type Handler = (req: Request, peer?: Peer) => Response | Promise<Response>;

/** Wraps a handler with one concern. */
export type Layer = (next: Handler) => Handler;

/** The address of `peer`, or "" when unknown. */
export function addressOf(peer: Peer | undefined): string {
  return peer?.remoteAddr.hostname ?? "";
}
