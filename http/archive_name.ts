/**
 * Member names that no extractor can turn into a path outside the folder it
 * extracts into (zip-slip), whatever it takes for a separator. Listings
 * already leave out every name the jail refuses, so a folder archive never
 * meets such a name; every archive writer still passes its member names
 * through {@linkcode safeArchiveName}, in case a name comes from elsewhere.
 *
 * @module
 */

// C0 controls, DEL and C1 controls: they would drive the terminal of
// whoever lists the archive.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const DRIVE = /^([A-Za-z]):/;
// Only dots and spaces: `.`, `..`, and what Windows trims to them (`.. `, `...`).
const DOTS = /^[. ]+$/;

/**
 * The name under which a member is stored: `/`-separated, with each `\`
 * and control character replaced by `_`, empty and `.` segments dropped
 * (so no leading `/`), a segment of only dots and spaces (`..`, `...`,
 * `.. `) made of `_` instead, and a drive letter's colon (`C:`) turned into
 * `_`. A name that is already safe comes back unchanged; an empty result
 * becomes `_`.
 *
 * @example
 * ```ts
 * import { safeArchiveName } from "./archive_name.ts";
 * safeArchiveName("C:\\Windows\\evil.txt"); // "C__Windows_evil.txt"
 * safeArchiveName("/a/../b"); // "a/__/b"
 * ```
 */
export function safeArchiveName(name: string): string {
  const segments = name.replaceAll("\\", "_").replace(CONTROL, "_").split("/")
    .filter((s) => s !== "" && s !== ".")
    .map((s) => DOTS.test(s) ? "_".repeat(s.length) : s.replace(DRIVE, "$1_"));
  return segments.length === 0 ? "_" : segments.join("/");
}
