/**
 * The progress line of a transfer, the same for every client: label, bar,
 * percent, bytes, rate and ETA, fitted to the terminal's width and redrawn
 * in place on stderr at most ten times a second; nothing at all when stderr
 * is not a terminal. {@linkcode formatProgress} is pure, so the line is
 * tested without a terminal.
 *
 * @module
 */

import { formatDuration, formatRate, formatSize } from "./format.ts";

/** How far a transfer has come. */
export interface Progress {
  /** Bytes done. */
  done: number;
  /** Bytes in all, or null when the size is not known. */
  total: number | null;
  /** Bytes done before this run started (a resume); not counted in the rate. @default 0 */
  start?: number;
}

/** What a progress line shows. */
export interface ProgressState extends Progress {
  /** What is moving, e.g. the file name; the caller makes it printable. */
  label: string;
  /** Seconds since this run started. */
  elapsed: number;
}

/**
 * One progress line fitted to `width` columns: `name [###---]  50% 1.0 MiB/2.0 MiB
 * 1.0 MiB/s ETA 1s`. With an unknown total there is no bar, percent or ETA.
 */
export function formatProgress(p: ProgressState, width = 80): string {
  const moved = p.done - (p.start ?? 0);
  const rate = formatRate(moved, p.elapsed);
  if (p.total === null) {
    const right = ` ${formatSize(p.done)} ${rate}`;
    return fitLabel(p.label, Math.max(10, width - right.length)) + right;
  }
  const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const speed = p.elapsed > 0 ? moved / p.elapsed : 0;
  const eta = p.done >= p.total ? 0 : speed > 0 ? (p.total - p.done) / speed : Infinity;
  const right = ` ${(frac * 100).toFixed(0).padStart(3)}% ${formatSize(p.done)}/${
    formatSize(p.total)
  } ${rate} ETA ${formatDuration(eta)}`;
  const room = Math.max(10, width - right.length - 4);
  const label = fitLabel(p.label, Math.floor(room / 2));
  const barW = Math.max(5, room - label.length - 1);
  const filled = Math.round(frac * barW);
  return `${label} [${"#".repeat(filled)}${"-".repeat(barW - filled)}]${right}`;
}

/** `label`, cut to `max` characters with an ellipsis when longer. */
function fitLabel(label: string, max: number): string {
  return label.length > max ? label.slice(0, Math.max(0, max - 1)) + "…" : label;
}

/** Options of {@linkcode ProgressLine}. */
export interface ProgressLineOptions {
  /** Draw at all. @default stderr is a terminal */
  enabled?: boolean;
}

const encoder = new TextEncoder();

function terminalWidth(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

/** A progress display on stderr for one transfer: `update` as bytes move, `done` once at the end. */
export class ProgressLine {
  readonly #label: string;
  readonly #enabled: boolean;
  readonly #started = performance.now();
  #lastDraw = 0;
  #latest: Progress | null = null;
  #drawn = true;
  #shown = false;

  /**
   * @param label what is moving, already printable
   * @param options whether to draw
   */
  constructor(label: string, options: ProgressLineOptions = {}) {
    this.#label = label;
    this.#enabled = options.enabled ?? Deno.stderr.isTerminal();
  }

  /** Records progress; redraws when a tenth of a second has passed or the transfer is complete. */
  update(p: Progress): void {
    if (!this.#enabled) return;
    this.#latest = p;
    this.#drawn = false;
    const now = performance.now();
    const complete = p.total !== null && p.done >= p.total;
    if (now - this.#lastDraw < 100 && !complete) return;
    this.#lastDraw = now;
    this.#draw(now);
  }

  /** Draws the last progress if it is not on screen yet, then ends the line; safe twice. */
  done(): void {
    if (!this.#drawn) this.#draw(performance.now());
    if (this.#shown) Deno.stderr.writeSync(encoder.encode("\n"));
    this.#shown = false;
  }

  #draw(now: number): void {
    this.#drawn = true;
    if (this.#latest === null) return;
    const line = formatProgress(
      { label: this.#label, ...this.#latest, elapsed: (now - this.#started) / 1000 },
      terminalWidth() - 1,
    );
    Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${line}`));
    this.#shown = true;
  }
}
