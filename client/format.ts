/**
 * Human-readable output for the client: sizes, the listing table and the
 * progress line. Pure functions, so they are tested without a terminal.
 *
 * @module
 */

import type { ListEntry } from "../protocol/file/messages.ts";

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** Formats a byte count with binary units: `512 B`, `1.5 KiB`, `12.0 MiB`. */
export function formatSize(bytes: number): string {
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

/** Formats seconds as `42s`, `3m05s` or `1h02m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

/** Formats a time as `2026-11-26 15:04` in UTC. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

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
  const rate = p.elapsed > 0 ? (p.done - p.start) / p.elapsed : 0;
  const eta = rate > 0 ? (p.total - p.done) / rate : Infinity;
  const right = ` ${(frac * 100).toFixed(0).padStart(3)}% ${formatSize(p.done)}/${
    formatSize(p.total)
  } ${formatSize(rate)}/s ETA ${p.done >= p.total ? "0s" : formatDuration(eta)}`;
  const label = printable(p.label);
  const room = Math.max(10, width - right.length - 4);
  const labelW = Math.min(label.length, Math.floor(room / 2));
  const barW = Math.max(5, room - labelW - 1);
  const filled = Math.round(frac * barW);
  const shown = label.length > labelW ? label.slice(0, labelW - 1) + "…" : label;
  return `${shown} [${"#".repeat(filled)}${"-".repeat(barW - filled)}]${right}`;
}
