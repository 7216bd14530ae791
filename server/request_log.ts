/**
 * The request log of the file service: one line per request, in text (the
 * `clf` format: time, client, request, bytes, milliseconds, `ok` or the
 * error code) or JSON (`core/ops/log_format.ts`). Names are escaped, so a file
 * name cannot forge a line.
 *
 * @module
 */

import { escapeField, jsonLine, type LogFormat } from "../core/ops/log_format.ts";
import type { Incoming } from "../protocol/file/frame_stream.ts";

/**
 * The log line of one request `m` from `peer` (signed in as `user`, or null)
 * that ended with `status` (`ok`, an error code, or what cut it).
 */
export function requestLine(
  format: LogFormat,
  peer: string,
  user: string | null,
  m: Incoming,
  bytes: number,
  ms: number,
  status: string,
): string {
  const name = m.type === "GET" || m.type === "PUT" || m.type === "CANCEL" ? m.name : null;
  if (format === "json") {
    return jsonLine({
      time: Date.now(),
      service: "serve-files",
      peer,
      user,
      request: m.type,
      path: name,
      code: status,
      bytes,
      ms,
      ...(m.type === "GET" && m.offset ? { offset: m.offset } : {}),
      ...(m.type === "PUT" ? { size: m.size } : {}),
    });
  }
  // Names escaped as the access log does: a name can neither forge a line
  // nor pass for another (a character that does not show is its bytes).
  let what: string = m.type;
  if (m.type === "GET") what = `GET "${escapeField(m.name)}"${m.offset ? ` @${m.offset}` : ""}`;
  if (m.type === "PUT") what = `PUT "${escapeField(m.name)}" ${m.size}`;
  if (m.type === "CANCEL") what = `CANCEL "${escapeField(m.name)}"`;
  return `${new Date().toISOString()} ${peer} ${what} ${bytes}B ${ms.toFixed(1)}ms ${status}`;
}

/** The log line of a session that ended with error `code` outside any request. */
export function failureLine(
  format: LogFormat,
  peer: string,
  code: string,
  message: string,
): string {
  if (format === "json") {
    const record = { service: "serve-files", peer, user: null, request: "", path: null };
    return jsonLine({ time: Date.now(), ...record, code, bytes: 0, ms: 0, error: message });
  }
  return `${new Date().toISOString()} ${peer} ${code}: ${escapeField(message)}`;
}
