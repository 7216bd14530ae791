/**
 * The one place where netkit's error family meets TFTP's error codes: a
 * failure of netkit's error family becomes an ERROR packet's code and message, and an
 * ERROR packet from a peer becomes a {@linkcode TftpPeerError}.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { TftpErrorCode } from "./packet.ts";

const TO_TFTP: Readonly<Record<string, number>> = {
  NOT_FOUND: TftpErrorCode.FILE_NOT_FOUND,
  FORBIDDEN: TftpErrorCode.ACCESS_VIOLATION,
  READ_ONLY: TftpErrorCode.ACCESS_VIOLATION,
  UNAUTHORIZED: TftpErrorCode.ACCESS_VIOLATION,
  INVALID_NAME: TftpErrorCode.ACCESS_VIOLATION,
  NO_SPACE: TftpErrorCode.DISK_FULL,
  TOO_LARGE: TftpErrorCode.DISK_FULL,
  BAD_FRAME: TftpErrorCode.ILLEGAL_OPERATION,
  EXISTS: TftpErrorCode.FILE_EXISTS,
  LOCKED: TftpErrorCode.ACCESS_VIOLATION,
};

const FROM_TFTP: Readonly<Record<number, string>> = {
  [TftpErrorCode.FILE_NOT_FOUND]: "NOT_FOUND",
  [TftpErrorCode.ACCESS_VIOLATION]: "FORBIDDEN",
  [TftpErrorCode.DISK_FULL]: "NO_SPACE",
  [TftpErrorCode.ILLEGAL_OPERATION]: "BAD_FRAME",
  [TftpErrorCode.UNKNOWN_TID]: "UNEXPECTED",
  [TftpErrorCode.FILE_EXISTS]: "EXISTS",
  [TftpErrorCode.NO_SUCH_USER]: "UNAUTHORIZED",
  [TftpErrorCode.OPTION_REFUSED]: "BAD_FRAME",
};

/** An ERROR packet received from the peer; it is never answered. */
export class TftpPeerError extends ProtocolError {
  /** The TFTP error code the peer sent. */
  readonly tftpCode: number;

  constructor(tftpCode: number, message: string) {
    super(
      FROM_TFTP[tftpCode] ?? "UNEXPECTED",
      `peer error ${tftpCode}: ${printable(message) || "(no message)"}`,
    );
    this.name = "TftpPeerError";
    this.tftpCode = tftpCode;
  }
}

/**
 * Blanks control and format characters (bidi controls, zero-width ones) and
 * cuts a peer's message so it prints on one line, reading as it is.
 */
export function printable(message: string, max = 200): string {
  return message.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, " ").slice(0, max).trim();
}

/**
 * The ERROR packet to send for a failure of netkit's error family; `null`
 * (a fault of the program) says only "internal error", so no local detail
 * leaks to the peer.
 */
export function toTftpError(
  e: { code: string; message: string } | null,
): { code: number; message: string } {
  if (e === null) return { code: TftpErrorCode.NOT_DEFINED, message: "internal error" };
  return { code: TO_TFTP[e.code] ?? TftpErrorCode.NOT_DEFINED, message: e.message };
}
