/**
 * A one-line progress display for the TFTP client, redrawn in place on a
 * terminal at most ten times a second; silent when stderr is not a terminal.
 *
 * @module
 */

import { formatRate, formatSize } from "../core/format.ts";

const encoder = new TextEncoder();

/** The progress line for `bytes` of `total` after `ms` milliseconds. */
export function progressLine(
  bytes: number,
  total: number | null,
  ms: number,
): string {
  const rate = formatRate(bytes, ms / 1000);
  const of = total ? ` / ${formatSize(total)}` : "";
  const pct = total ? `  ${Math.min(100, Math.floor(bytes * 100 / total))}%` : "";
  return `${formatSize(bytes)}${of}${pct}  ${rate}`;
}

/** A progress display: `update` as bytes move, `done` once at the end. */
export interface Progress {
  update(bytes: number, total: number | null): void;
  done(): void;
}

/** Creates a progress display on stderr, or a silent one when stderr is not a terminal or `quiet`. */
export function stderrProgress(quiet = false): Progress {
  if (quiet || !Deno.stderr.isTerminal()) {
    return { update() {}, done() {} };
  }
  const t0 = performance.now();
  let last = 0;
  let shown = false;
  const draw = (bytes: number, total: number | null) => {
    const line = progressLine(bytes, total, performance.now() - t0);
    Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${line}`));
    shown = true;
  };
  let latest: [number, number | null] = [0, null];
  return {
    update(bytes, total) {
      latest = [bytes, total];
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      draw(bytes, total);
    },
    done() {
      if (!shown) return;
      draw(...latest);
      Deno.stderr.writeSync(encoder.encode("\n"));
    },
  };
}
