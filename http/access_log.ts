/**
 * The access log in the Combined Log Format (`host - - [time] "request"
 * status bytes "referer" "user-agent"`), batched so logging costs one write
 * per burst instead of one per request, and bounded so a stalled stderr
 * drops lines instead of growing memory.
 *
 * @module
 */

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

/** Escapes a logged field: quotes, backslashes and non-printables as `\xHH`. */
export function escapeField(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\uffff"\\]/g, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? c : `\\x${code.toString(16).padStart(2, "0")}`;
  });
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
): string {
  const q = (v: string | null) => v === null ? "-" : escapeField(v);
  return `${host} - - ${clfTime(ms)} "${escapeField(method)} ${escapeField(target)} HTTP/1.1" ` +
    `${status} ${bytes === null || bytes === 0 ? "-" : bytes} "${q(referer)}" "${q(userAgent)}"`;
}

/** Buffers log lines and writes them in batches to a writer (stderr). */
export class AccessLog {
  #lines: string[] = [];
  #size = 0;
  #dropped = 0;
  /** The write under way; a flush waits for it and for what came meanwhile. */
  #flushing: Promise<void> | null = null;
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
    if (this.#timer === undefined && this.#flushing === null) {
      const t = setTimeout(() => this.flush(), 20);
      Deno.unrefTimer(t);
      this.#timer = t;
    }
  }

  /**
   * Writes everything queued so far, and resolves once it is written: when
   * a write is already under way, once that one and every line queued
   * meanwhile are out (so nothing is lost when the server stops).
   */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#flushing ??= this.#drain().finally(() => {
      this.#flushing = null;
      if (this.#lines.length > 0) this.flush(); // queued as the last write ended
    });
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
