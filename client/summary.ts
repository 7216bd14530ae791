/**
 * The one-line report printed after a transfer.
 *
 * @module
 */

import { toHex } from "../protocol/digest.ts";
import type { TransferResult } from "./client.ts";
import { formatSize, printable } from "./format.ts";

/** `downloaded a.txt -> ./a.txt: 1.0 MiB in 0.2s (5.0 MiB/s), xxh3-128 0123…` */
export function describeTransfer(
  verb: string,
  from: string,
  to: string,
  r: TransferResult,
  ms: number,
): string {
  const rate = ms > 0 ? formatSize(Math.round(r.transferred / (ms / 1000))) + "/s" : "-";
  const resumed = r.transferred < r.size ? `, resumed: ${formatSize(r.transferred)} sent` : "";
  return `${verb} ${printable(from)} -> ${printable(to)}: ${formatSize(r.size)} in ${
    (ms / 1000).toFixed(2)
  }s (${rate}${resumed}), verified ${r.hash} ${toHex(r.digest)}`;
}
