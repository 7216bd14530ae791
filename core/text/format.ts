/**
 * Human-readable sizes, rates, durations and times, the same in every
 * service and the client. Pure, so tests need no terminal.
 *
 * @module
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/**
 * Formats a byte count with binary units and one decimal above bytes:
 * `512 B`, `1.5 KiB`, `12.0 MiB`. A fraction of a byte (an average, a rate)
 * is rounded to whole bytes.
 *
 * @example
 * ```ts
 * import { formatSize } from "./format.ts";
 * formatSize(1536); // "1.5 KiB"
 * ```
 */
export function formatSize(bytes: number): string {
  let v = Math.round(bytes);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

/**
 * Formats the rate of `bytes` moved in `seconds` as `1.5 MiB/s` (whole bytes
 * below 1 KiB/s), or `-` when no time has passed.
 */
export function formatRate(bytes: number, seconds: number): string {
  return seconds > 0 ? `${formatSize(bytes / seconds)}/s` : "-";
}

/** Formats seconds as `42s`, `3m05s` or `1h02m`; `--` when unknown (infinite, negative). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

/** Formats a time (milliseconds since the epoch) as `2026-11-26 15:04` in UTC. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}
