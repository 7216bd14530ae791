/**
 * Names and text as people see them (terminals, log lines, the listing
 * page), so that no name can pass for another or drive a terminal. A name
 * can hide characters that do not show (zero-width spaces, a soft hyphen),
 * that reorder what follows (bidi controls: with U+202E, `txt.exe` reads
 * `exe.txt`), that look like a plain space (U+00A0), or that a terminal
 * obeys (ESC, CSI); leading and trailing spaces do not show either. Pure,
 * so tests need no terminal.
 *
 * @module
 */

/**
 * What a reader cannot see, or what changes how the text around it reads:
 * controls (C0, DEL, C1), format characters (bidi controls, LRM and RLM,
 * zero-width spaces and joiners, the soft hyphen, the BOM), line and
 * paragraph separators, spaces other than U+0020, default-ignorable code
 * points (Hangul fillers, variation selectors, tags) and lone surrogates.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]|[^\P{Zs} ]/u;
const HIDDEN_ALL = new RegExp(HIDDEN.source, "gu");
const HIDDEN_OR_BACKSLASH = new RegExp(`${HIDDEN.source}|\\\\`, "gu");
const PICTOGRAPH = /[\p{Extended_Pictographic}\p{Emoji_Modifier}]/u;

/** True when the character `c` is one that does not show as itself (see above). */
export function isHidden(c: string): boolean {
  return HIDDEN.test(c);
}

/** The code point that ends just before `at`, as a string ("" at the start). */
function before(s: string, at: number): string {
  const low = s.charCodeAt(at - 1);
  const high = s.charCodeAt(at - 2);
  const pair = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
  return s.slice(pair ? at - 2 : Math.max(0, at - 1), at);
}

/**
 * True for the joiner and variation selectors inside an emoji (`❤️`, a
 * family joined by U+200D): shown as they are, since the emoji shows them.
 */
function emojiGlue(c: string, at: number, s: string): boolean {
  if (c === "\ufe0f" || c === "\ufe0e") return PICTOGRAPH.test(before(s, at));
  if (c !== "\u200d") return false;
  const prev = before(s, at);
  return (prev === "\ufe0f" || PICTOGRAPH.test(prev)) &&
    PICTOGRAPH.test(String.fromCodePoint(s.codePointAt(at + 1) ?? 0));
}

/** `\xHH` up to U+00FF, `\u{HHHH}` above. */
function escape(c: string): string {
  const cp = c.codePointAt(0)!;
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, "0")}` : `\\u{${cp.toString(16)}}`;
}

/**
 * A name shown unambiguously: every hidden character (see above) as `\xHH`
 * or `\u{HHHH}`, a backslash as `\\`, and leading and trailing spaces as
 * `\x20`; everything else, emoji included, as it is. Names that differ only
 * in what does not show never look the same (look-alike letters of other
 * scripts still do), and a plain name is unchanged.
 *
 * @example
 * ```ts
 * import { printableName } from "./printable.ts";
 * printableName("\u202etxt.exe"); // "\\u{202e}txt.exe"
 * printableName(" a.txt"); // "\\x20a.txt"
 * ```
 */
export function printableName(name: string): string {
  return name
    .replace(
      HIDDEN_OR_BACKSLASH,
      (c, at, s) => c === "\\" ? "\\\\" : emojiGlue(c, at, s) ? c : escape(c),
    )
    .replace(/^ +| +$/g, (spaces) => "\\x20".repeat(spaces.length));
}

/**
 * A message or a log line that may quote names: hidden characters as in
 * {@linkcode printableName}, everything else (backslashes, spaces) as it is.
 */
export function printableText(text: string): string {
  return text.replace(HIDDEN_ALL, (c, at, s) => emojiGlue(c, at, s) ? c : escape(c));
}

/**
 * A name for a log line: a JSON string literal (so a log reader can parse
 * it back exactly) in which every hidden character, not only the controls
 * JSON escapes, is written as `\uHHHH`.
 */
export function quoteName(name: string): string {
  return jsonHiddenEscaped(JSON.stringify(name));
}

/**
 * JSON text (as `JSON.stringify` writes it) with every hidden character
 * (see above) written as `\uHHHH`, also those `JSON.stringify` leaves raw
 * (DEL, C1 controls, U+2028, bidi controls, zero-width spaces): for log
 * lines, which a reader parses back to the same values.
 */
export function jsonHiddenEscaped(json: string): string {
  return json.replace(HIDDEN_ALL, (c) => {
    let out = "";
    for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`;
    return out;
  });
}
