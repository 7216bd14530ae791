/**
 * Validators and conditional requests (RFC 9110 section 13) as pure
 * functions: a strong ETag from size, mtime and inode, and the evaluation
 * order of `If-Match`, `If-Unmodified-Since`, `If-None-Match`,
 * `If-Modified-Since` and `If-Range`.
 *
 * @module
 */

/** What conditional evaluation decided. */
export type Precondition = "proceed" | "not-modified" | "failed";

/** The validators of one representation. */
export interface Validators {
  /** Strong entity tag, quoted, e.g. `"1f-18c2a0e4b10-2a"`. */
  etag: string;
  /** Modification time in whole seconds since the epoch, or null. */
  mtimeSec: number | null;
}

/**
 * A strong ETag for a file: its size, modification time in milliseconds and
 * inode, in hex. Any change of content that keeps all three is invisible,
 * as with nginx and Apache.
 */
export function fileEtag(
  size: number,
  mtimeMs: number | null,
  ino: number | null,
): string {
  const m = Math.floor(mtimeMs ?? 0).toString(16);
  return `"${size.toString(16)}-${m}-${(ino ?? 0).toString(16)}"`;
}

/** Parses an HTTP date into whole seconds, or null when it is not one. */
export function parseHttpDate(text: string | null): number | null {
  if (text === null || text.length > 64) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

/** Splits an entity-tag list; `*` stays `*`. Weak tags keep their `W/`. */
function tags(list: string): string[] {
  return list.split(",").map((t) => t.trim()).filter((t) => t !== "");
}

function strongMatch(list: string, etag: string): boolean {
  return tags(list).some((t) => t === "*" || t === etag);
}

function weakMatch(list: string, etag: string): boolean {
  return tags(list).some((t) => t === "*" || t === etag || t.replace(/^W\//, "") === etag);
}

/**
 * Evaluates the preconditions of a GET or HEAD in RFC 9110's order
 * (section 13.2.2): `If-Match`, else `If-Unmodified-Since` (412 on
 * failure); then `If-None-Match`, else `If-Modified-Since` (304).
 *
 * @param get reads a request header (lower-case name)
 */
export function evaluate(
  get: (name: string) => string | null,
  v: Validators,
): Precondition {
  const ifMatch = get("if-match");
  if (ifMatch !== null) {
    if (!strongMatch(ifMatch, v.etag)) return "failed";
  } else {
    const ius = parseHttpDate(get("if-unmodified-since"));
    if (ius !== null && v.mtimeSec !== null && v.mtimeSec > ius) {
      return "failed";
    }
  }
  const ifNoneMatch = get("if-none-match");
  if (ifNoneMatch !== null) {
    return weakMatch(ifNoneMatch, v.etag) ? "not-modified" : "proceed";
  }
  const ims = parseHttpDate(get("if-modified-since"));
  if (ims !== null && v.mtimeSec !== null && v.mtimeSec <= ims) {
    return "not-modified";
  }
  return "proceed";
}

/**
 * True when a `Range` may be honoured under `If-Range` (RFC 9110 section
 * 13.1.5): no `If-Range`, or a strong ETag that matches, or a date equal to
 * the last modification.
 */
export function ifRangeAllows(ifRange: string | null, v: Validators): boolean {
  if (ifRange === null) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith("W/")) return value === v.etag;
  const date = parseHttpDate(value);
  return date !== null && v.mtimeSec !== null && date === v.mtimeSec;
}
