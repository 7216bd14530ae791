/**
 * What every write of `netkit http` shares: its context and the checked
 * target name. Used by uploads (`upload.ts`) and folder operations
 * (`folder_ops.ts`); every change to the library goes through its door.
 *
 * @module
 */

import { NetkitError } from "../core/errors.ts";
import type { Library } from "../core/library/library.ts";
import type { UrlPath } from "./url_path.ts";
import type { WebOptions } from "./web_options.ts";
import type { ServiceMetrics } from "../core/ops/service_metrics.ts";

/** What the write handlers need. */
export interface WriteContext {
  /** The library written to. */
  library: Library;
  /** The write options. */
  options: WebOptions;
  /** Headers on every response. */
  common: [string, string][];
  /** Give up on an upload whose body sends nothing for this long, ms; 0 never. */
  stallMs: number;
  /** Where uploads and their bytes are counted; null when metrics are off. */
  metrics?: ServiceMetrics | null;
}

/** The target's segments: a file name is needed, hidden names only with `--hidden`. */
export function checkTarget(ctx: WriteContext, path: UrlPath): string[] {
  if (path.segments.length === 0 || path.slash) {
    throw new NetkitError("INVALID_NAME", "a file name is needed (the path ends with /)");
  }
  if (path.hidden && !ctx.library.hidden) {
    throw new NetkitError("INVALID_NAME", "hidden names are not allowed");
  }
  return path.segments;
}
