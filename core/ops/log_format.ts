/**
 * The request log's two formats, shared by every service: `clf`, each
 * service's classic one-line text (the Combined Log Format for http), and
 * `json`, one object per line with the same fields everywhere (time in
 * RFC 3339, service, peer, user, request, path, status or code, bytes,
 * milliseconds). Both escape control characters in names, so a file called
 * "a\nb" cannot forge a second line; neither ever holds a password or token
 * (the services pass only a user name).
 *
 * @module
 */

import { isHidden, jsonHiddenEscaped } from "../text/printable.ts";

/** The request log formats. */
export type LogFormat = "clf" | "json";

/** Every format, for flag checks and help. */
export const LOG_FORMATS: readonly LogFormat[] = ["clf", "json"];

/** One request, as the JSON log writes it. */
export interface RequestRecord {
  /** When it ended, ms since the epoch. */
  time: number;
  /** The service's name. */
  service: string;
  /** The client's address (with its port where the protocol has one). */
  peer: string;
  /** The authenticated user name, if any (never a password or token). */
  user: string | null;
  /** The method, message or packet type. */
  request: string;
  /** The file or URL path asked for, if any. */
  path: string | null;
  /** The HTTP status (http). */
  status?: number;
  /** `ok` or the netkit error code (serve-files, tftp). */
  code?: string;
  /** Payload bytes sent or received. */
  bytes: number;
  /** Time taken, in milliseconds. */
  ms: number;
  /** What went wrong, for a failed request. */
  error?: string;
  /** Further fields of one service (http: referer, agent). */
  [field: string]: unknown;
}

/** One JSON log line (no newline): every character that does not show escaped. */
export function jsonLine(record: RequestRecord): string {
  const { time, ...rest } = record;
  const ms = Math.round(rest.ms * 1000) / 1000;
  return jsonHiddenEscaped(JSON.stringify({ time: new Date(time).toISOString(), ...rest, ms }));
}

/**
 * Escapes a logged field as Apache does: quotes, backslashes, controls and
 * bytes past ASCII as `\xHH`; letters of other scripts stay readable, but a
 * character that does not show (a bidi control, a zero-width space, a line
 * separator) is written as the `\xHH` of its UTF-8 bytes.
 */
export function escapeField(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u{10ffff}"\\]/gu, (c) => {
    const code = c.codePointAt(0)!;
    if (code <= 0xff) return hex(code);
    return isHidden(c) ? [...utf8.encode(c)].map(hex).join("") : c;
  });
}

const utf8 = new TextEncoder();

function hex(byte: number): string {
  return `\\x${byte.toString(16).padStart(2, "0")}`;
}

/**
 * A service's own message (starting, stopping, warnings) in the log's
 * format: `netkit SERVICE: message` as text, or a JSON object with a level.
 */
export function noticeLine(
  format: LogFormat,
  service: string,
  message: string,
  level: "info" | "warning" = "info",
): string {
  if (format === "clf") {
    return `netkit ${service}: ${level === "warning" ? "warning: " : ""}${message}`;
  }
  return jsonHiddenEscaped(
    JSON.stringify({ time: new Date().toISOString(), service, level, message }),
  );
}
