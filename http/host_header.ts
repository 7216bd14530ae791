/**
 * RFC 9112 (section 3.2): a server must answer 400 to an HTTP/1.1 request
 * without a `Host` header. `Deno.serve` tells the handler neither the HTTP
 * version nor that `Host` was missing; it builds such a request's URL with
 * `localhost:PORT`. A request on that URL without a `Host` header is
 * therefore one that lacked it: HTTP/1.1 (refused, as the RFC says), and
 * HTTP/1.0 too, which the handler cannot tell apart. Over TLS the check is
 * off: HTTP/2 requests carry their authority without a `Host` header, and a
 * browser's `https://localhost:PORT/` would look the same.
 *
 * @module
 */

import { text } from "./plain_text.ts";

/**
 * The check for a server on `port`: a function that answers 400 to a
 * request that came without `Host`, or null to let it through; null
 * altogether over TLS.
 */
export function hostCheck(port: number, tls: boolean): ((req: Request) => Response | null) | null {
  if (tls) return null;
  const fallback = `http://localhost:${port}/`;
  return (req) =>
    req.url.startsWith(fallback) && !req.headers.has("host")
      ? text(400, "the Host header is missing\n", [["connection", "close"]])
      : null;
}
