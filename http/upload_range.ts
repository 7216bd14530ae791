/**
 * Where a resumable upload's bytes go: the pure parsing of
 * `Content-Range: bytes START-END/TOTAL` on `PUT` and of the
 * `Upload-Offset` / `Upload-Length` pair on `PATCH`. Offsets are plain
 * numbers, exact up to 2^53, so uploads far past 4 GiB are fine.
 *
 * @module
 */

/** One slice of a resumable upload, or a probe for how much has arrived. */
export type UploadSlice =
  | { kind: "slice"; start: number; length: number; total: number }
  | { kind: "probe"; total: number };

const DIGITS = /^\d{1,16}$/;

function num(text: string): number | null {
  if (!DIGITS.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Parses a request's `Content-Range` (`bytes 0-99/1000`, or `bytes *\/1000`
 * to ask how much the server holds).
 *
 * @returns the slice, or null when the header is malformed or impossible
 */
export function parseContentRange(header: string): UploadSlice | null {
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+)$/i.exec(header.trim());
  if (!m) return null;
  const total = num(m[3]);
  if (total === null) return null;
  if (m[1] === undefined) return { kind: "probe", total };
  const start = num(m[1]);
  const end = num(m[2]);
  if (start === null || end === null || start > end || end >= total) return null;
  return { kind: "slice", start, length: end - start + 1, total };
}

/**
 * Parses `PATCH` headers: `Upload-Offset` (where the body goes),
 * `Upload-Length` (the whole file's size) and the body's `Content-Length`
 * (which may be absent: then the slice runs to the end of the file).
 *
 * @returns the slice, or null when a header is malformed or impossible
 */
export function parsePatchHeaders(
  offset: string | null,
  total: string | null,
  contentLength: string | null,
): UploadSlice | null {
  if (offset === null || total === null) return null;
  const start = num(offset.trim());
  const all = num(total.trim());
  if (start === null || all === null || start > all) return null;
  if (contentLength === null) return { kind: "slice", start, length: all - start, total: all };
  const length = num(contentLength.trim());
  if (length === null || start + length > all) return null;
  if (length === 0) return { kind: "probe", total: all };
  return { kind: "slice", start, length, total: all };
}

/** Parses a `Content-Length` value; null when absent, NaN when malformed. */
export function parseLength(header: string | null): number | null {
  if (header === null) return null;
  return num(header.trim()) ?? NaN;
}
