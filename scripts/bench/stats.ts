/**
 * Small statistics and formatting helpers for the benchmarks: medians,
 * percentiles, rates, markdown tables, and the order in which the sides of
 * a comparison take their turns.
 *
 * @module
 */

/** The `p`-th percentile (0..100) of `xs` by nearest rank; NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** The median of `xs` (the mean of the middle two for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Formats a number with `digits` decimals, or "-" for NaN. */
export function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "-";
}

/** GB/s (10^9 bytes per second) of `bytes` moved in `ms`. */
export function gbps(bytes: number, ms: number): number {
  return bytes / (ms / 1000) / 1e9;
}

/** A markdown table with a header row. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Counts how many of `xs` fall in each [bounds[i-1], bounds[i]) bucket (ms), plus one for the rest. */
export function histogram(xs: readonly number[], bounds: readonly number[]): number[] {
  const counts = new Array(bounds.length + 1).fill(0);
  for (const x of xs) {
    let i = bounds.findIndex((b) => x < b);
    if (i < 0) i = bounds.length;
    counts[i]++;
  }
  return counts;
}

/**
 * Runs `fn` on each of `items` one after another, the first to go rotating
 * with `round`, so load on the shared machine falls on every side alike.
 *
 * @returns the results, in the order of `items`
 */
export async function inTurns<I, T>(
  items: readonly I[],
  round: number,
  fn: (item: I, i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = [];
  for (let k = 0; k < items.length; k++) {
    const i = (k + round) % items.length;
    out[i] = await fn(items[i], i);
  }
  return out;
}
