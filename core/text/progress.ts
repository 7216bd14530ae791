/**
 * The progress line of a transfer, the same for every client: label, bar,
 * percent, bytes, rate and ETA, fitted to the terminal's width and redrawn
 * in place on stderr at most ten times a second and at least once a second
 * (so a stall shows); nothing at all when stderr is not a terminal.
 * {@linkcode formatProgress} is pure, so the line is tested without a
 * terminal, and the redraws run on a {@linkcode Clock}, so a test can run
 * them on a virtual one.
 *
 * @module
 */

import { formatDuration, formatRate, formatSize } from "./format.ts";
import { type Clock, systemClock } from "../clock.ts";
import { displayWidth, fitWidth } from "./text_width.ts";

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

/** A label is cut no shorter than this many columns before fields are dropped instead. */
const MIN_LABEL = 10;

/**
 * One progress line fitted to `width` columns: `name [###---]  50% 1.0 MiB/2.0 MiB
 * 1.0 MiB/s ETA 1s`. With an unknown total there is no bar, percent or ETA.
 * The line never takes more than `width` columns, counted as a terminal
 * shows them (a CJK character or an emoji takes two); when the room runs
 * short the bar goes first, then the sizes, then the rate.
 */
export function formatProgress(p: ProgressState, width = 80): string {
  const cols = Math.max(0, Math.floor(width));
  const moved = p.done - (p.start ?? 0);
  const rate = formatRate(moved, p.elapsed);
  const done = formatSize(p.done);
  if (p.total === null) return fitFields(p.label, [` ${done} ${rate}`, ` ${done}`], cols);
  const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const speed = p.elapsed > 0 ? moved / p.elapsed : 0;
  const eta = p.done >= p.total ? 0 : speed > 0 ? (p.total - p.done) / speed : Infinity;
  const pct = `${(frac * 100).toFixed(0).padStart(3)}%`;
  const right = ` ${pct} ${done}/${formatSize(p.total)} ${rate} ETA ${formatDuration(eta)}`;
  const room = cols - right.length - 4;
  if (room >= MIN_LABEL) {
    const label = fitWidth(p.label, Math.floor(room / 2));
    const barW = Math.max(5, room - displayWidth(label) - 1);
    const filled = Math.round(frac * barW);
    return `${label} [${"#".repeat(filled)}${"-".repeat(barW - filled)}]${right}`;
  }
  return fitFields(p.label, [
    right,
    ` ${pct} ${rate} ETA ${formatDuration(eta)}`,
    ` ${pct} ETA ${formatDuration(eta)}`,
    ` ${pct}`,
  ], cols);
}

/**
 * `label` followed by the first of `fields` (richest first, ASCII) that
 * leaves the label its room, cut to fit; the label alone when none does.
 */
function fitFields(label: string, fields: string[], cols: number): string {
  const want = Math.min(displayWidth(label), MIN_LABEL);
  for (const f of fields) {
    if (cols - f.length >= want) return fitWidth(label, cols - f.length) + f;
  }
  return fitWidth(label, cols);
}

/** Options of {@linkcode ProgressLine}. */
export interface ProgressLineOptions {
  /** Draw at all. @default stderr is a terminal */
  enabled?: boolean;
  /** Where the text goes. @default stderr */
  write?: (text: string) => void;
  /** Columns of the terminal, asked at every draw (it may be resized). @default the terminal's */
  columns?: () => number;
  /** Time and timers. @default the real clock */
  clock?: Clock;
  /**
   * Redraw at least this often, ms, even with no progress, so a stalled
   * transfer shows its rate falling and its ETA growing. @default 1000
   */
  redrawMs?: number;
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
  readonly #write: (text: string) => void;
  readonly #columns: () => number;
  readonly #clock: Clock;
  readonly #redrawMs: number;
  readonly #started: number;
  #lastDraw = -Infinity;
  #latest: Progress | null = null;
  #drawn = true;
  #shown = false;
  #stopTimer: (() => void) | null = null;

  /**
   * @param label what is moving, already printable
   * @param options whether and where to draw, and on which clock
   */
  constructor(label: string, options: ProgressLineOptions = {}) {
    this.#label = label;
    this.#enabled = options.enabled ?? Deno.stderr.isTerminal();
    this.#write = options.write ?? ((t) => Deno.stderr.writeSync(encoder.encode(t)));
    this.#columns = options.columns ?? terminalWidth;
    this.#clock = options.clock ?? systemClock;
    this.#redrawMs = options.redrawMs ?? 1000;
    this.#started = this.#clock.now();
  }

  /**
   * Records progress; redraws when a tenth of a second has passed or the
   * transfer is complete, and from the first update on, on a timer too.
   */
  update(p: Progress): void {
    if (!this.#enabled) return;
    this.#latest = p;
    this.#drawn = false;
    this.#stopTimer ??= this.#clock.every(this.#redrawMs, () => this.#draw(this.#clock.now()));
    const now = this.#clock.now();
    const complete = p.total !== null && p.done >= p.total;
    if (now - this.#lastDraw < 100 && !complete) return;
    this.#draw(now);
  }

  /** Draws the last progress if it is not on screen yet, then ends the line; safe twice. */
  done(): void {
    this.#stopTimer?.();
    this.#stopTimer = null;
    if (!this.#drawn) this.#draw(this.#clock.now());
    if (this.#shown) this.#write("\n");
    this.#shown = false;
  }

  #draw(now: number): void {
    this.#drawn = true;
    this.#lastDraw = now;
    if (this.#latest === null) return;
    const line = formatProgress(
      { label: this.#label, ...this.#latest, elapsed: (now - this.#started) / 1000 },
      // One column spare: a line that fills the last column wraps on some terminals.
      this.#columns() - 1,
    );
    this.#write(`\r\x1b[2K${line}`);
    this.#shown = true;
  }
}
