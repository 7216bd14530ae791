/**
 * The file protocol's table of error codes: the number an ERROR frame
 * carries for each code name of netkit's error family. The numbers are the
 * wire values and never change; a number this build does not know reads as
 * `INTERNAL`.
 *
 * @module
 */

/** Wire numbers of the error codes. */
export const WIRE_ERROR_CODES: Readonly<Record<string, number>> = {
  NOT_FOUND: 1,
  EXISTS: 2,
  INVALID_NAME: 3,
  TOO_LARGE: 4,
  NO_SPACE: 5,
  READ_ONLY: 6,
  UNAUTHORIZED: 7,
  BAD_FRAME: 8,
  BUSY: 9,
  CHECKSUM_MISMATCH: 10,
  SIZE_MISMATCH: 11,
  UNSUPPORTED_VERSION: 12,
  TIMEOUT: 13,
  UNEXPECTED: 14,
  CLOSED: 15,
  INTERNAL: 16,
  FORBIDDEN: 17,
  BAD_OFFSET: 18,
  LOCKED: 19,
};

const NAMES = new Map<number, string>(
  Object.entries(WIRE_ERROR_CODES).map(([k, v]) => [v, k]),
);

/** The wire number of a code name; unknown names travel as `INTERNAL`. */
export function wireCode(name: string): number {
  return WIRE_ERROR_CODES[name] ?? WIRE_ERROR_CODES.INTERNAL;
}

/** The code name of a wire number; unknown numbers read as `INTERNAL`. */
export function codeName(wire: number): string {
  return NAMES.get(wire) ?? "INTERNAL";
}
