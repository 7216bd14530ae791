/**
 * The root jail's pure half: turns a name from the outside world into path
 * segments that can only point inside the root, or refuses it. Every server
 * (file service, HTTP, TFTP) goes through here; the symlink half, which needs
 * the file system, lives in `jail_fs.ts`.
 *
 * @module
 */

import { NetkitError } from "../errors.ts";

/** Prefix of netkit's own temporary files: never listed, served or accepted as a name. */
export const INTERNAL_PREFIX = ".netkit-";

/** Longest accepted segment, in UTF-8 bytes (the common file system limit). */
export const MAX_SEGMENT_BYTES = 255;

/** Longest accepted relative path, in UTF-8 bytes. */
export const MAX_PATH_BYTES = 4096;

/** What {@linkcode resolveName} accepts. */
export interface NameRules {
  /** Allow `a/b` paths into subfolders; otherwise one flat name. @default false */
  subdirs?: boolean;
  /** Allow segments that start with a dot. @default false */
  hidden?: boolean;
  /**
   * Also refuse names Windows misreads: device names (`CON`, `NUL`, `COM1`,
   * `aux.txt`...) that open a device instead of a file, `< > : " | ? *` (a
   * colon opens an NTFS alternate data stream), and a trailing dot or space
   * (Windows strips them, so `a.txt.` would be `a.txt`).
   * @default true on Windows, false elsewhere
   */
  windows?: boolean;
}

const ON_WINDOWS = globalThis.Deno?.build.os === "windows";
const WINDOWS_CHARS = /[<>:"|?*]/;
const WINDOWS_DEVICE =
  /^(con|prn|aux|nul|conin\$|conout\$|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]) *(\.|$)/i;

const encoder = new TextEncoder();
// C0 controls, DEL, C1 controls and backslash: never part of a name we
// accept. C1 matters too: U+009B is a terminal CSI, U+0085 a line break.
// deno-lint-ignore no-control-regex
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\\]/;
const DRIVE = /^[A-Za-z]:/;
// A percent-encoded dot, slash, backslash or NUL: harmless here, where nothing
// decodes, but a trap for any layer that decodes once more.
const ENCODED_TRICK = /%(2e|2f|5c|00)/i;

function invalid(why: string): NetkitError {
  return new NetkitError("INVALID_NAME", why);
}

/**
 * Checks a relative name and splits it into segments.
 *
 * Refuses (never repairs) empty names, absolute paths, `.` and `..`, drive
 * letters (at the start of any segment), backslashes, NUL and other control
 * characters, percent-encoded dots, slashes and NUL (`%2e`, `%2f`, `%5c`,
 * `%00`), over-long names, dot-files unless `hidden`, netkit's internal
 * names, and any `/` unless `subdirs`, and, on Windows (`windows`), device
 * names, `< > : " | ? *` and a trailing dot or space. No decoding happens
 * here.
 *
 * @returns the segments, at least one
 * @throws {NetkitError} `INVALID_NAME` with the reason
 * @example
 * ```ts
 * import { resolveName } from "./jail.ts";
 * resolveName("notes.txt"); // ["notes.txt"]
 * ```
 */
export function resolveName(name: string, rules: NameRules = {}): string[] {
  if (name.length === 0) throw invalid("name is empty");
  if (encoder.encode(name).length > MAX_PATH_BYTES) {
    throw invalid("name is too long");
  }
  if (FORBIDDEN_CHARS.test(name)) {
    throw invalid("name contains a control character or backslash");
  }
  if (name.startsWith("/")) throw invalid("name is an absolute path");
  if (ENCODED_TRICK.test(name)) {
    throw invalid("name contains a percent-encoded dot, slash or NUL");
  }
  const segments = name.split("/");
  if (segments.length > 1 && !rules.subdirs) {
    throw invalid("name contains a slash");
  }
  for (const s of segments) checkSegment(s, rules.hidden ?? false);
  if (rules.windows ?? ON_WINDOWS) segments.forEach(checkWindowsSegment);
  return segments;
}

function checkSegment(s: string, hidden: boolean): void {
  if (s === "") throw invalid("name has an empty path segment");
  if (s === "." || s === "..") throw invalid("name contains . or ..");
  // In any segment: `a/c:x` joined by a Windows client is `a\c:x`, a stream of `a\c`.
  if (DRIVE.test(s)) throw invalid("name starts with a drive letter");
  if (encoder.encode(s).length > MAX_SEGMENT_BYTES) {
    throw invalid("name segment is longer than 255 bytes");
  }
  if (s.startsWith(INTERNAL_PREFIX)) throw invalid("name is reserved");
  if (s.startsWith(".") && !hidden) {
    throw invalid("hidden names are not allowed");
  }
}

// Bidi embeddings, overrides and isolates: they reorder how a name reads
// (after U+202E, `txt.exe` reads `exe.txt`), and no file name needs them.
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;

/**
 * Checks one segment of a name about to be created (an upload, a folder, a
 * move or copy target), on top of {@linkcode resolveName}: bidi embedding,
 * override and isolate controls (U+202A to U+202E, U+2066 to U+2069) are
 * refused, so no new name reads as another. Existing files with them stay
 * listed and served, their names shown escaped.
 *
 * @throws {NetkitError} `INVALID_NAME`
 */
export function checkNewSegment(segment: string): void {
  const bidi = BIDI_CONTROL.exec(segment);
  if (bidi) {
    const code = bidi[0].charCodeAt(0).toString(16).toUpperCase();
    throw invalid(`name contains a bidi control character (U+${code})`);
  }
}

function checkWindowsSegment(s: string): void {
  if (WINDOWS_CHARS.test(s)) throw invalid('name contains one of < > : " | ? *');
  if (WINDOWS_DEVICE.test(s)) throw invalid("name is a Windows device name");
  if (s.endsWith(".") || s.endsWith(" ")) throw invalid("name ends with a dot or space");
}

/**
 * True when {@linkcode resolveName} accepts `name` under `rules`: what
 * listings use to leave out every name the jail would refuse to serve.
 */
export function acceptsName(name: string, rules: NameRules = {}): boolean {
  try {
    resolveName(name, rules);
    return true;
  } catch {
    return false;
  }
}

/**
 * Joins checked segments under `root` with `/` (accepted on every platform).
 */
export function joinInRoot(root: string, segments: readonly string[]): string {
  const base = root.endsWith("/") || root.endsWith("\\") ? root.slice(0, -1) : root;
  return segments.length === 0 ? base : `${base}/${segments.join("/")}`;
}

/**
 * True when the canonical path `candidate` is `root` itself or inside it.
 * Compares whole segments, so a root `/srv/r` never contains `/srv/r2`.
 * Both arguments must already be canonical (`Deno.realPath`).
 */
export function isInside(root: string, candidate: string): boolean {
  const r = root.replaceAll("\\", "/").replace(/\/+$/, "");
  const c = candidate.replaceAll("\\", "/");
  if (r === "") return c.startsWith("/"); // root is "/"
  return c === r || c.startsWith(r + "/");
}
