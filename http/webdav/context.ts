/**
 * What every WebDAV handler works with, and the small request parsers they
 * share (`Depth`, `Overwrite`, `Timeout`).
 *
 * @module
 */

import type { Library } from "../../core/library/library.ts";
import type { WriteContext } from "../write_common.ts";
import { DavError } from "./dav_error.ts";
import type { MacFiles } from "./quirks.ts";
import type { DavPolicy } from "./policy.ts";

/** The handlers' shared context. */
export interface DavContext {
  /** The library served. */
  library: Library;
  /** Headers on every response. */
  common: [string, string][];
  /** Who may do what. */
  policy: DavPolicy;
  /** Uploads' context (PUT goes through the same upload path as plain HTTP). */
  writes: WriteContext;
  /** What happens to macOS metadata files (`._*`, `.DS_Store`). */
  macFiles: MacFiles;
  /** Longest lock granted, in seconds. */
  maxLockSeconds: number;
  /** Largest XML request body, in bytes. */
  maxXmlBytes: number;
}

/** A `Depth` value. */
export type Depth = 0 | 1 | "infinity";

/**
 * Parses `Depth` (absent: `fallback`).
 *
 * @throws {DavError} 400 for anything else than 0, 1 or infinity
 */
export function parseDepth(header: string | null, fallback: Depth): Depth {
  if (header === null) return fallback;
  const v = header.trim().toLowerCase();
  if (v === "0") return 0;
  if (v === "1") return 1;
  if (v === "infinity") return "infinity";
  throw new DavError(400, `bad Depth: ${header.slice(0, 40)}`);
}

/**
 * Parses `Overwrite` (absent: true).
 *
 * @throws {DavError} 400 for anything else than T or F
 */
export function parseOverwrite(header: string | null): boolean {
  if (header === null) return true;
  const v = header.trim().toUpperCase();
  if (v === "T") return true;
  if (v === "F") return false;
  throw new DavError(400, "bad Overwrite (T or F)");
}

/**
 * The lock timeout asked for by `Timeout` (`Second-N`, `Infinite`, a list
 * of them: the first understood wins), capped at `max` seconds.
 */
export function parseTimeout(header: string | null, max: number, fallback = 600): number {
  if (header !== null) {
    for (const part of header.split(",")) {
      const v = part.trim().toLowerCase();
      if (v === "infinite") return max;
      const m = /^second-(\d{1,12})$/.exec(v);
      if (m) return Math.max(1, Math.min(Number(m[1]), max));
    }
  }
  return Math.min(fallback, max);
}
