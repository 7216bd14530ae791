/**
 * Turns the raw path of an HTTP request target into jail-checked segments.
 * The path is percent-decoded exactly once, as bytes, and those bytes must be
 * strict UTF-8 (overlong forms and lone surrogates are refused); only then is
 * it split on `/` and handed to the shared jail, so `%2e%2e`, `%2f`, `%5c`,
 * `%00` and their double-encoded forms can never become `..`, a separator or
 * a NUL on disk.
 *
 * @module
 */

import { NetkitError } from "../core/errors.ts";
import { resolveName } from "../core/library/jail.ts";

/** A request path after decoding and checking. */
export interface UrlPath {
  /** The checked segments under the root; empty for the root itself. */
  segments: string[];
  /** True when the URL path ended with `/` (a folder was asked for). */
  slash: boolean;
  /** True when a segment starts with a dot (hidden unless `--hidden`). */
  hidden: boolean;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

function invalid(why: string): NetkitError {
  return new NetkitError("INVALID_NAME", why);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 65 && c <= 70) return c - 55; // A-F
  if (c >= 97 && c <= 102) return c - 87; // a-f
  return -1;
}

/**
 * Percent-decodes `raw` once into bytes and reads them as strict UTF-8.
 *
 * @throws {NetkitError} `INVALID_NAME` for a broken escape or bad UTF-8
 */
export function decodePath(raw: string): string {
  if (!raw.includes("%")) return raw;
  const src = encoder.encode(raw);
  const out = new Uint8Array(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i];
    if (b !== 37) { // not '%'
      out[n++] = b;
      continue;
    }
    const hi = i + 2 < src.length ? hexValue(src[i + 1]) : -1;
    const lo = hi >= 0 ? hexValue(src[i + 2]) : -1;
    if (lo < 0) throw invalid("broken percent-escape in the path");
    out[n++] = hi * 16 + lo;
    i += 2;
  }
  try {
    return strictUtf8.decode(out.subarray(0, n));
  } catch {
    throw invalid("the path is not valid UTF-8");
  }
}

/**
 * The raw path of a request URL as Deno gives it (`scheme://host/path?q`),
 * without the query or fragment and without any decoding.
 */
export function rawPathOf(url: string): string {
  const authority = url.indexOf("//");
  const start = url.indexOf("/", authority < 0 ? 0 : authority + 2);
  if (start < 0) return "/";
  let end = url.length;
  const q = url.indexOf("?", start);
  if (q >= 0) end = q;
  const h = url.indexOf("#", start);
  if (h >= 0 && h < end) end = h;
  return url.slice(start, end);
}

/**
 * Decodes and checks a raw request path such as `/docs/a%20b.txt`.
 *
 * @throws {NetkitError} `INVALID_NAME` for anything the jail refuses:
 *   `..`, empty segments (`//`), backslashes, NUL and control characters,
 *   bad escapes, bad UTF-8, over-long names
 * @example
 * ```ts
 * import { parseUrlPath } from "./url_path.ts";
 * parseUrlPath("/a/b%20c/"); // { segments: ["a", "b c"], slash: true, hidden: false }
 * ```
 */
export function parseUrlPath(raw: string): UrlPath {
  if (!raw.startsWith("/")) throw invalid("the path does not start with /");
  const path = decodePath(raw);
  if (path === "/") return { segments: [], slash: true, hidden: false };
  const slash = path.endsWith("/");
  const inner = path.slice(1, slash ? -1 : undefined);
  const segments = resolveName(inner, { subdirs: true, hidden: true });
  return {
    segments,
    slash,
    hidden: segments.some((s) => s.startsWith(".")),
  };
}

/** Most raw paths {@linkcode urlPathOf} remembers before it starts afresh. */
const REMEMBERED = 4096;
const remembered = new Map<string, UrlPath | null>();

/**
 * {@linkcode parseUrlPath} of `raw`, or null for a path it refuses,
 * remembered for recent raw paths: the decode and the jail's checks cost
 * microseconds, and every layer of a request (and every request for a hot
 * path) would pay them again. The answer is shared: never change it.
 */
export function urlPathOf(raw: string): UrlPath | null {
  let p = remembered.get(raw);
  if (p !== undefined) return p;
  try {
    p = parseUrlPath(raw);
  } catch {
    p = null;
  }
  if (remembered.size >= REMEMBERED) remembered.clear();
  remembered.set(raw, p);
  return p;
}

/** Encodes checked segments back into a URL path: always one leading `/`. */
export function encodeSegments(segments: readonly string[]): string {
  return "/" + segments.map(encodeURIComponent).join("/");
}
