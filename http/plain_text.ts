/**
 * Short plain-text answers: error pages, and the one-line results of writes.
 *
 * @module
 */

const encoder = new TextEncoder();

/** A plain-text response of `body`, with its length. */
export function text(status: number, body: string, extra: [string, string][] = []): Response {
  const bytes = encoder.encode(body);
  return new Response(bytes, {
    status,
    headers: [
      ["content-type", "text/plain; charset=utf-8"],
      ["content-length", String(bytes.length)],
      ...extra,
    ],
  });
}

/** A one-line answer to a write, never cached. */
export function reply(status: number, message: string, headers: [string, string][] = []): Response {
  return text(status, message + "\n", [...headers, ["cache-control", "no-store"]]);
}
