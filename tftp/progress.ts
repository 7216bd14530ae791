/**
 * A one-line progress display for the TFTP client, redrawn in place on a
 * terminal at most ten times a second; silent when stderr is not a terminal.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Formats a byte count with binary units (`1.5 MiB`). */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) n /= 1024, i++;
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** The progress line for `bytes` of `total` after `ms` milliseconds. */
export function progressLine(
  bytes: number,
  total: number | null,
  ms: number,
): string {
  const rate = ms > 0 ? formatBytes(Math.round(bytes / (ms / 1000))) : "-";
  const of = total ? ` / ${formatBytes(total)}` : "";
  const pct = total ? `  ${Math.min(100, Math.floor(bytes * 100 / total))}%` : "";
  return `${formatBytes(bytes)}${of}${pct}  ${rate}/s`;
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
