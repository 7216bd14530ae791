/**
 * The error the wire formats raise: malformed bytes, a stream cut short, a
 * peer's ERROR. Its codes are those of netkit's error family
 * (`core/errors.ts`, which recognises this class by its code); `protocol/`
 * stays free of imports from outside itself.
 *
 * @module
 */

/** An error raised by a codec or a data path, with a code of netkit's family. */
export class ProtocolError extends Error {
  /** The stable code, such as `"BAD_FRAME"`. */
  readonly code: string;

  /**
   * @param code one of netkit's error codes
   * @param message one human line
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProtocolError";
    this.code = code;
  }
}

/** True when `e` is a {@linkcode ProtocolError}, optionally with one of `codes`. */
export function isProtocolError(e: unknown, ...codes: string[]): e is ProtocolError {
  return e instanceof ProtocolError && (codes.length === 0 || codes.includes(e.code));
}
