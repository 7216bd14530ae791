/**
 * The access log in the Combined Log Format (`host - user [time] "request"
 * status bytes "referer" "user-agent"`) or as JSON lines
 * (`core/ops/log_format.ts`), batched so logging costs one write per burst
 * instead of one per request, and bounded so a stalled stderr drops lines
 * instead of growing memory. The user is the name of HTTP Basic credentials,
 * never the password (nor a bearer token).
 *
 * @module
 */

import { escapeField, jsonLine, type LogFormat } from "../core/ops/log_format.ts";

const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

let cachedSecond = -1;
let cachedTime = "";

/** `[26/Nov/2026:15:50:28 +0000]` for `ms` (UTC), cached per second. */
export function clfTime(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== cachedSecond) {
    const d = new Date(sec * 1000);
    const p = (n: number) => String(n).padStart(2, "0");
    cachedTime = `[${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
      `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000]`;
    cachedSecond = sec;
  }
  return cachedTime;
}

/** One Combined Log Format line, without the newline. */
export function formatCombined(
  host: string,
  ms: number,
  method: string,
  target: string,
  status: number,
  bytes: number | null,
  referer: string | null,
  userAgent: string | null,
  user: string | null = null,
): string {
  const q = (v: string | null) => v === null ? "-" : escapeField(v);
  const who = user === null || user === "" ? "-" : escapeField(user).replace(/ /g, "\\x20");
  return `${host} - ${who} ${clfTime(ms)} "${escapeField(method)} ${
    escapeField(target)
  } HTTP/1.1" ` +
    `${status} ${bytes === null || bytes === 0 ? "-" : bytes} "${q(referer)}" "${q(userAgent)}"`;
}

const utf8 = new TextDecoder();

function bytesOf(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The user name of HTTP Basic credentials in an `Authorization` header, if any. */
export function basicUser(authorization: string | null): string | null {
  if (authorization === null || !/^basic /i.test(authorization)) return null;
  try {
    const binary = atob(authorization.slice(6).trim());
    // ASCII (the common case) is already its own UTF-8 decoding.
    const decoded = /[\x80-\xff]/.test(binary) ? utf8.decode(bytesOf(binary)) : binary;
    const colon = decoded.indexOf(":");
    return colon > 0 ? decoded.slice(0, colon) : null;
  } catch {
    return null; // not base64
  }
}

/** What an access log line holds. */
export interface AccessEntry {
  host: string;
  /** When the response was ready, ms since the epoch. */
  time: number;
  method: string;
  /** The request target as sent (path and query). */
  target: string;
  status: number;
  /** The body's length, when known. */
  bytes: number | null;
  referer: string | null;
  userAgent: string | null;
  user: string | null;
  /** Time to the response head, ms. */
  ms: number;
}

/** One access log line in `format`, without the newline. */
export function accessLine(format: LogFormat, e: AccessEntry): string {
  if (format === "clf") {
    return formatCombined(
      e.host,
      e.time,
      e.method,
      e.target,
      e.status,
      e.bytes,
      e.referer,
      e.userAgent,
      e.user,
    );
  }
  return jsonLine({
    time: e.time,
    service: "http",
    peer: e.host,
    user: e.user,
    request: e.method,
    path: e.target,
    status: e.status,
    bytes: e.bytes ?? 0,
    ms: e.ms,
    referer: e.referer,
    agent: e.userAgent,
  });
}

/** Buffers log lines and writes them in batches to a writer (stderr). */
export class AccessLog {
  #lines: string[] = [];
  #size = 0;
  #dropped = 0;
  /** The write under way, if any. */
  #writing: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #encoder = new TextEncoder();

  /**
   * @param writer where lines go (`Deno.stderr`)
   * @param maxBuffered bytes held while the writer is slow before lines are dropped
   */
  constructor(
    private readonly writer: { write(p: Uint8Array): Promise<number> },
    private readonly maxBuffered = 1024 * 1024,
  ) {}

  /** Queues one line. */
  log(line: string): void {
    if (this.#size + line.length > this.maxBuffered) {
      this.#dropped++;
      return;
    }
    this.#lines.push(line);
    this.#size += line.length + 1;
    if (this.#timer === undefined) {
      const t = setTimeout(() => this.flush(), 20);
      Deno.unrefTimer(t);
      this.#timer = t;
    }
  }

  /**
   * Writes everything queued so far; resolves once it is written, also when
   * a write was already under way (a shutdown must not end the process
   * before its last lines are out).
   */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#lines.length > 0 || this.#writing !== null) {
      this.#writing ??= this.#drain().finally(() => this.#writing = null);
      await this.#writing;
    }
  }

  async #drain(): Promise<void> {
    try {
      while (this.#lines.length > 0) {
        if (this.#dropped > 0) {
          this.#lines.push(
            `netkit http: ${this.#dropped} access log lines dropped (stderr too slow)`,
          );
          this.#dropped = 0;
        }
        const data = this.#encoder.encode(this.#lines.join("\n") + "\n");
        this.#lines = [];
        this.#size = 0;
        let n = 0;
        while (n < data.length) n += await this.writer.write(data.subarray(n));
      }
    } catch {
      // stderr closed: nothing sensible to do but stop logging
    }
  }
}
