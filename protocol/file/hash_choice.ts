/**
 * Agreeing on the checksum of a connection: the client offers algorithms in
 * HELLO, preferred first, and the server picks the first it can compute.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";

/**
 * Picks the first algorithm in the client's `offered` list that is also in
 * `supported`.
 *
 * @throws {ProtocolError} `UNEXPECTED` when there is none in common
 */
export function chooseHash<T extends string>(
  offered: readonly string[],
  supported: readonly T[],
): T {
  const pick = offered.find((h): h is T => (supported as readonly string[]).includes(h));
  if (pick === undefined) {
    throw new ProtocolError(
      "UNEXPECTED",
      `no common hash algorithm (offered: ${offered.join(", ") || "none"})`,
    );
  }
  return pick;
}
