/**
 * The error family shared by every netkit protocol: a stable string code for
 * programs, a numeric code for the wire, and a human message.
 *
 * @module
 */

/** Stable error codes. The numbers are the wire values and never change. */
export const ErrorCode = {
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
} as const;

/** One of the names in {@linkcode ErrorCode}, such as `"NOT_FOUND"`. */
export type ErrorCodeName = keyof typeof ErrorCode;

const NAMES = new Map<number, ErrorCodeName>(
  Object.entries(ErrorCode).map(([k, v]) => [v, k as ErrorCodeName]),
);

/** The code name for a wire number; unknown numbers read as `INTERNAL`. */
export function codeName(wire: number): ErrorCodeName {
  return NAMES.get(wire) ?? "INTERNAL";
}

/**
 * An error a peer can be told about. Thrown by codecs and services, sent as an
 * ERROR frame by servers, and re-thrown by clients that receive one.
 */
export class NetkitError extends Error {
  /** The stable code, for programs to branch on. */
  readonly code: ErrorCodeName;

  /**
   * @param code the stable code
   * @param message one human line, no trailing period needed
   */
  constructor(code: ErrorCodeName, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NetkitError";
    this.code = code;
  }

  /** The numeric wire value of {@linkcode NetkitError.code}. */
  get wireCode(): number {
    return ErrorCode[this.code];
  }
}

/** True when `e` is a {@linkcode NetkitError}, optionally with one of `codes`. */
export function isNetkitError(
  e: unknown,
  ...codes: ErrorCodeName[]
): e is NetkitError {
  return e instanceof NetkitError &&
    (codes.length === 0 || codes.includes(e.code));
}
