/**
 * How many terminal columns text takes: East Asian wide and fullwidth
 * characters and emoji take two, combining marks and other zero-width code
 * points none, everything else one; counted per grapheme cluster, so an
 * emoji sequence joined by ZWJ counts once. Pure.
 *
 * @module
 */

/** Code points that take no column of their own. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\u200b\u2060\ufe00-\ufe0f]$/u;
/** Emoji shown as pictures by default. */
const EMOJI = /^\p{Emoji_Presentation}$/u;

/** East Asian Wide and Fullwidth ranges (after Markus Kuhn's wcwidth). */
const WIDE: readonly [number, number][] = [
  [0x1100, 0x115f],
  [0x2329, 0x232a],
  [0x2e80, 0x303e],
  [0x3040, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

function codePointWidth(cp: number, ch: string): number {
  if (ZERO_WIDTH.test(ch)) return 0;
  if (EMOJI.test(ch)) return 2;
  for (const [lo, hi] of WIDE) {
    if (cp < lo) break;
    if (cp <= hi) return 2;
  }
  return 1;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Columns one grapheme cluster takes: its widest code point, or 2 when it asks for emoji style. */
function graphemeWidth(g: string): number {
  if (g.includes("\ufe0f")) return 2;
  let w = 0;
  for (const ch of g) w = Math.max(w, codePointWidth(ch.codePointAt(0)!, ch));
  return w;
}

/** Columns `text` takes in a terminal. */
export function displayWidth(text: string): number {
  // ASCII, the common case, needs no segmentation.
  if (/^[\x20-\x7e]*$/.test(text)) return text.length;
  let w = 0;
  for (const { segment } of segmenter.segment(text)) w += graphemeWidth(segment);
  return w;
}

/**
 * `text` cut to at most `columns` columns, ending in `…` when cut; never
 * splits a grapheme cluster (a wide one that does not fit is left out whole).
 */
export function fitWidth(text: string, columns: number): string {
  if (displayWidth(text) <= columns) return text;
  if (columns <= 0) return "";
  let out = "";
  let w = 0;
  for (const { segment } of segmenter.segment(text)) {
    const g = graphemeWidth(segment);
    if (w + g > columns - 1) break;
    out += segment;
    w += g;
  }
  return out + "…";
}
