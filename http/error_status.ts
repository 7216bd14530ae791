/**
 * The one table where netkit's error family meets HTTP: the status for each
 * code, and the answer for an error that reached the edge of a handler.
 *
 * @module
 */

import { type ErrorCodeName, isNetkitError } from "../core/errors.ts";
import { reply, text } from "./plain_text.ts";

/** The HTTP status of each error code. */
export const HTTP_STATUS: Readonly<Record<ErrorCodeName, number>> = {
  NOT_FOUND: 404,
  EXISTS: 409,
  INVALID_NAME: 400,
  TOO_LARGE: 413,
  NO_SPACE: 507,
  READ_ONLY: 403,
  UNAUTHORIZED: 401,
  BAD_FRAME: 400,
  BUSY: 409,
  CHECKSUM_MISMATCH: 400,
  SIZE_MISMATCH: 400,
  UNSUPPORTED_VERSION: 400,
  TIMEOUT: 408,
  UNEXPECTED: 400,
  CLOSED: 400,
  INTERNAL: 500,
  FORBIDDEN: 403,
  BAD_OFFSET: 416,
  LOCKED: 423,
};

/**
 * The response for an error that escaped a read: the jail's refusals become
 * 400, 403 or 404 without detail; anything outside the family is a fault of
 * this program (500), also reported on stderr.
 */
export function errorResponse(e: unknown): Response {
  if (isNetkitError(e, "INVALID_NAME")) return text(400, "bad path\n");
  if (isNetkitError(e, "FORBIDDEN")) return text(403, "forbidden\n");
  if (isNetkitError(e, "NOT_FOUND")) return text(404, "not found\n");
  if (isNetkitError(e, "TIMEOUT")) { // a body stream gave up; the answer is already under way
    console.error(`netkit http: ${e.message}`);
    return text(408, "timeout\n");
  }
  if (isNetkitError(e) && e.code !== "INTERNAL") return text(HTTP_STATUS[e.code], `${e.message}\n`);
  console.error(`netkit http: ${e instanceof Error ? e.message : String(e)}`);
  return text(500, "internal error\n");
}

/** The answer to a failed write: the error's status and its message. */
export function writeError(e: unknown, common: [string, string][]): Response {
  if (!isNetkitError(e) || e.code === "INTERNAL") return errorResponse(e);
  return reply(HTTP_STATUS[e.code], e.message, common);
}
