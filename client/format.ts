/**
 * Human-readable output for the client: the listing table, every name
 * shown unambiguously (`core/text/printable.ts`). Pure functions, so they are
 * tested without a terminal.
 *
 * @module
 */

import type { ListEntry } from "../protocol/file/messages.ts";
import { formatSize, formatTime } from "../core/text/format.ts";
import { printableName } from "../core/text/printable.ts";

/** The listing as an aligned table with a header and a total line. */
export function formatListing(entries: readonly ListEntry[]): string {
  if (entries.length === 0) return "(no files)";
  const sizes = entries.map((e) => formatSize(e.size));
  const w = Math.max(4, ...sizes.map((s) => s.length));
  const lines = entries.map((e, i) =>
    `${sizes[i].padStart(w)}  ${formatTime(e.mtimeMs)}  ${printableName(e.name)}`
  );
  const total = entries.reduce((n, e) => n + e.size, 0);
  return [
    `${"SIZE".padStart(w)}  MODIFIED (UTC)    NAME`,
    ...lines,
    `${entries.length} file${entries.length === 1 ? "" : "s"}, ${formatSize(total)}`,
  ].join("\n");
}
