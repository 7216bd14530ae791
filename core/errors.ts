/**
 * netkit's one error family: a stable code for programs, a human message for
 * people. Services throw it; each protocol maps the codes to its own wire in
 * one table (`protocol/file/error_codes.ts`, `protocol/tftp/errors.ts`,
 * `http/error_status.ts`).
 *
 * The wire formats in `protocol/` are pure and import nothing from here, so
 * they raise a `ProtocolError` with the same codes; {@linkcode isNetkitError}
 * recognises the family by its code, whichever class carries it.
 *
 * @module
 */

/** Every code, with what it means. The list only grows. */
export const ERROR_CODES = {
  NOT_FOUND: "no such file or folder",
  EXISTS: "the name is taken",
  INVALID_NAME: "a name the jail refuses",
  TOO_LARGE: "over a size limit",
  NO_SPACE: "the disk or quota is full",
  READ_ONLY: "writes are switched off",
  UNAUTHORIZED: "credentials missing or wrong",
  BAD_FRAME: "the peer broke the protocol",
  BUSY: "a limit on connections or a lock is reached; try again",
  CHECKSUM_MISMATCH: "the bytes were corrupted on the way",
  SIZE_MISMATCH: "fewer or more bytes than announced",
  UNSUPPORTED_VERSION: "a protocol version this build does not speak",
  TIMEOUT: "the peer went silent",
  UNEXPECTED: "a message out of order",
  CLOSED: "the connection ended",
  INTERNAL: "a fault of this program",
  FORBIDDEN: "not allowed (a symlink out of the root, a permission)",
  BAD_OFFSET: "an offset past the end",
  LOCKED: "a lock held by someone else (WebDAV) is in the way",
} as const;

/** One of the codes in {@linkcode ERROR_CODES}, such as `"NOT_FOUND"`. */
export type ErrorCodeName = keyof typeof ERROR_CODES;

/** True when `code` is one of netkit's error codes. */
export function isErrorCode(code: unknown): code is ErrorCodeName {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/** An error a peer can be told about, thrown by the library and every service. */
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
}

/**
 * True when `e` belongs to the family (a {@linkcode NetkitError}, or an
 * `Error` a wire format raised with one of its codes), optionally with one
 * of `codes`.
 */
export function isNetkitError(
  e: unknown,
  ...codes: ErrorCodeName[]
): e is NetkitError {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return isErrorCode(code) && (codes.length === 0 || codes.includes(code));
}

/**
 * The family's error for a code read off the wire (a peer's ERROR): a code
 * this build does not know becomes `INTERNAL`.
 */
export function errorFromWire(code: string, message: string): NetkitError {
  return new NetkitError(isErrorCode(code) ? code : "INTERNAL", message);
}
