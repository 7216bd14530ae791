/**
 * `Range: bytes=...` parsing (RFC 9110 section 14) as pure functions, and the
 * framing of a `multipart/byteranges` body.
 *
 * @module
 */

/** One inclusive byte range within a representation. */
export interface ByteRange {
  /** First byte offset. */
  start: number;
  /** Last byte offset, inclusive. */
  end: number;
}

/** The outcome of reading a `Range` header against a size. */
export type RangeResult =
  /** No usable Range header: serve the whole representation (200). */
  | { kind: "none" }
  /** Well-formed but nothing satisfiable: 416. */
  | { kind: "unsatisfiable" }
  /** One or more satisfiable ranges, in request order: 206. */
  | { kind: "ranges"; ranges: ByteRange[] };

/** Most ranges honoured in one request; more are ignored (whole file sent). */
export const MAX_RANGES = 32;

const SPEC = /^\s*(\d*)\s*-\s*(\d*)\s*$/;

/**
 * Parses a `Range` header value for a representation of `size` bytes.
 * Syntax errors and units other than `bytes` are ignored (RFC 9110 lets a
 * server ignore a Range it does not understand), as are requests with more
 * than {@linkcode MAX_RANGES} ranges or overlapping ranges, which are a
 * known amplification trick.
 *
 * @example
 * ```ts
 * import { parseRange } from "./range.ts";
 * parseRange("bytes=0-9", 100); // { kind: "ranges", ranges: [{ start: 0, end: 9 }] }
 * ```
 */
export function parseRange(header: string | null, size: number): RangeResult {
  if (header === null) return { kind: "none" };
  const eq = header.indexOf("=");
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== "bytes") {
    return { kind: "none" };
  }
  const specs = header.slice(eq + 1).split(",");
  if (specs.length > MAX_RANGES) return { kind: "none" };
  const ranges: ByteRange[] = [];
  let sawAny = false;
  for (const spec of specs) {
    if (spec.trim() === "") continue; // tolerate "bytes=0-1, ,5-6"
    const m = SPEC.exec(spec);
    if (!m || (m[1] === "" && m[2] === "")) return { kind: "none" };
    sawAny = true;
    const range = m[1] === ""
      ? suffix(Number(m[2]), size)
      : span(Number(m[1]), m[2] === "" ? Infinity : Number(m[2]), size);
    if (range === "invalid") return { kind: "none" };
    if (range) ranges.push(range);
  }
  if (!sawAny) return { kind: "none" };
  if (ranges.length === 0) return { kind: "unsatisfiable" };
  if (overlaps(ranges)) return { kind: "none" };
  return { kind: "ranges", ranges };
}

function suffix(n: number, size: number): ByteRange | null | "invalid" {
  if (!Number.isSafeInteger(n)) return "invalid";
  if (n === 0 || size === 0) return null;
  return { start: Math.max(0, size - n), end: size - 1 };
}

function span(
  first: number,
  last: number,
  size: number,
): ByteRange | null | "invalid" {
  if (!Number.isSafeInteger(first)) return "invalid";
  if (last !== Infinity && !Number.isSafeInteger(last)) return "invalid";
  if (last < first) return "invalid";
  if (first >= size) return null;
  return { start: first, end: Math.min(last, size - 1) };
}

function overlaps(ranges: ByteRange[]): boolean {
  if (ranges.length < 2) return false;
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].start <= sorted[i - 1].end) return true;
  }
  return false;
}

/** The `Content-Range` value of one satisfied range. */
export function contentRange(r: ByteRange, size: number): string {
  return `bytes ${r.start}-${r.end}/${size}`;
}

/** The framing of a `multipart/byteranges` body around each range's bytes. */
export interface MultipartPlan {
  /** The `Content-Type` header, with the boundary. */
  contentType: string;
  /** The part headers that precede each range's bytes. */
  heads: Uint8Array[];
  /** The closing delimiter after the last part. */
  tail: Uint8Array;
  /** The exact body length. */
  length: number;
}

/**
 * Plans a `multipart/byteranges` body (RFC 9110 section 14.6): each part is
 * `--boundary`, its `Content-Type` and `Content-Range`, a blank line, then
 * the bytes; the body ends with `--boundary--`.
 */
export function planMultipart(
  ranges: readonly ByteRange[],
  size: number,
  type: string,
  boundary: string,
): MultipartPlan {
  const enc = new TextEncoder();
  const heads = ranges.map((r, i) =>
    enc.encode(
      `${i === 0 ? "" : "\r\n"}--${boundary}\r\nContent-Type: ${type}\r\n` +
        `Content-Range: ${contentRange(r, size)}\r\n\r\n`,
    )
  );
  const tail = enc.encode(`\r\n--${boundary}--\r\n`);
  let length = tail.length;
  ranges.forEach((r, i) => length += heads[i].length + r.end - r.start + 1);
  return {
    contentType: `multipart/byteranges; boundary=${boundary}`,
    heads,
    tail,
    length,
  };
}
