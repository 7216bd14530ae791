/**
 * Draws a transfer's progress line on stderr when it is a terminal, at most
 * ten times a second; prints nothing when output is not a terminal.
 *
 * @module
 */

import { formatProgress } from "./format.ts";
import type { Progress } from "./client.ts";

const encoder = new TextEncoder();

/** A progress display for one transfer. */
export class ProgressLine {
  readonly #label: string;
  readonly #enabled: boolean;
  readonly #started = performance.now();
  #lastDraw = 0;
  #shown = false;

  /**
   * @param label what is moving
   * @param enabled draw at all; @default stderr is a terminal
   */
  constructor(label: string, enabled = Deno.stderr.isTerminal()) {
    this.#label = label;
    this.#enabled = enabled;
  }

  /** Records progress; redraws when due. */
  update(p: Progress): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#lastDraw < 100 && p.done < p.total) return;
    this.#lastDraw = now;
    const width = (() => {
      try {
        return Deno.consoleSize().columns;
      } catch {
        return 80;
      }
    })();
    const line = formatProgress(
      { label: this.#label, ...p, elapsed: (now - this.#started) / 1000 },
      width - 1,
    );
    Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${line}`));
    this.#shown = true;
  }

  /** Ends the line so later output starts on a fresh one. */
  done(): void {
    if (this.#shown) Deno.stderr.writeSync(encoder.encode("\n"));
    this.#shown = false;
  }
}
