/**
 * Member names no extractor can turn into a path outside the folder it
 * extracts into (zip-slip), whatever it takes for a separator. Names come
 * from the library's walk, which can hold any name the file system allows
 * (`a\b.txt` and `c:x` are plain names on Linux); both archive writers pass
 * every name through {@linkcode safeArchiveName}, so none is trusted as it
 * is.
 *
 * @module
 */

// C0 and C1 controls and DEL: they would drive the terminal of whoever
// lists the archive.
// deno-lint-ignore no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
/** A Windows drive (`C:`) at the start of a segment. */
const DRIVE = /^([A-Za-z]):/;
/** `.`, `..`, and what Windows trims to them (`...`, `.. `). */
const ONLY_DOTS = /^[. ]+$/;

/**
 * The name to store for an archive member: `/`-separated and relative, with
 * every `\` and control character replaced by `_`, empty and `.` segments
 * dropped (so no leading `/`), each segment of only dots and spaces (`..`)
 * replaced by as many `_`, and a drive letter's colon (`C:`) by `_`. A safe
 * name comes back as it was; one with nothing left becomes `_`.
 *
 * @example
 * ```ts
 * import { safeArchiveName } from "./archive_name.ts";
 * safeArchiveName("docs/a.txt"); // "docs/a.txt"
 * safeArchiveName("C:\\x\\..\\evil.txt"); // "C__x_.._evil.txt"
 * safeArchiveName("/a/../b"); // "a/__/b"
 * ```
 */
export function safeArchiveName(name: string): string {
  const segments: string[] = [];
  for (const raw of name.replace(/\\/g, "_").replace(CONTROLS, "_").split("/")) {
    if (raw === "" || raw === ".") continue;
    segments.push(ONLY_DOTS.test(raw) ? "_".repeat(raw.length) : raw.replace(DRIVE, "$1_"));
  }
  return segments.length > 0 ? segments.join("/") : "_";
}
