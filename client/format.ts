/**
 * Human-readable output for the client: the listing table, names made safe
 * for a terminal, and the progress line. Pure functions, so they are tested
 * without a terminal.
 *
 * @module
 */

import type { ListEntry } from "../protocol/file/messages.ts";
import { formatDuration, formatRate, formatSize, formatTime } from "../core/format.ts";

/** The listing as an aligned table with a header and a total line. */
export function formatListing(entries: readonly ListEntry[]): string {
  if (entries.length === 0) return "(no files)";
  const sizes = entries.map((e) => formatSize(e.size));
  const w = Math.max(4, ...sizes.map((s) => s.length));
  const lines = entries.map((e, i) =>
    `${sizes[i].padStart(w)}  ${formatTime(e.mtimeMs)}  ${printable(e.name)}`
  );
  const total = entries.reduce((n, e) => n + e.size, 0);
  return [
    `${"SIZE".padStart(w)}  MODIFIED (UTC)    NAME`,
    ...lines,
    `${entries.length} file${entries.length === 1 ? "" : "s"}, ${formatSize(total)}`,
  ].join("\n");
}

/** A name with control characters shown as escapes, so a hostile name cannot drive the terminal. */
export function printable(name: string): string {
  // deno-lint-ignore no-control-regex
  const controls = /[\u0000-\u001f\u007f-\u009f]/g;
  return name.replace(controls, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** The state a progress line shows. */
export interface ProgressState {
  /** What is moving, e.g. the file name. */
  label: string;
  /** Bytes done. */
  done: number;
  /** Bytes in all. */
  total: number;
  /** Bytes done when this run started (a resume). */
  start: number;
  /** Seconds since this run started. */
  elapsed: number;
}

/**
 * One progress line: label, bar, percent, bytes, rate and ETA, fitted to
 * `width` columns.
 */
export function formatProgress(p: ProgressState, width = 80): string {
  const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const speed = p.elapsed > 0 ? (p.done - p.start) / p.elapsed : 0;
  const eta = speed > 0 ? (p.total - p.done) / speed : Infinity;
  const rate = formatRate(p.done - p.start, p.elapsed);
  const right = ` ${(frac * 100).toFixed(0).padStart(3)}% ${formatSize(p.done)}/${
    formatSize(p.total)
  } ${rate} ETA ${p.done >= p.total ? "0s" : formatDuration(eta)}`;
  const label = printable(p.label);
  const room = Math.max(10, width - right.length - 4);
  const labelW = Math.min(label.length, Math.floor(room / 2));
  const barW = Math.max(5, room - labelW - 1);
  const filled = Math.round(frac * barW);
  const shown = label.length > labelW ? label.slice(0, labelW - 1) + "…" : label;
  return `${shown} [${"#".repeat(filled)}${"-".repeat(barW - filled)}]${right}`;
}
