/**
 * `Content-Type` from a file's extension, and whether a type is worth
 * compressing.
 *
 * The types come from `mime-db`, the database behind most of the
 * ecosystem's lookups (IANA's registry plus the Apache and nginx tables).
 * Where several types claim one extension, the one `typeScore` rates
 * highest wins: the rule of `mime-types`, the lookup library built on
 * mime-db (IANA-registered over vendor and `x-` names, `video/mp4` for
 * `.mp4`). mime-db is imported as JSON rather than through `mime-types`,
 * which is CommonJS: loading it brings up Deno's Node compatibility layer in
 * every isolate that serves files, for a rule of a few lines.
 *
 * netkit keeps three rules of its own on top:
 * - `charset=utf-8` on text: every `text/*` type, the types mime-db marks
 *   UTF-8 (JSON, JavaScript) and the other JSON types (RFC 8259: JSON is
 *   UTF-8). XML and SVG carry no charset: their own declaration decides
 *   (RFC 7303), as with nginx.
 * - Source code is shown, not downloaded or taken for media: `.ts` is
 *   TypeScript far more often than an MPEG transport stream here, `.rs` is
 *   Rust rather than RLS services XML; {@linkcode OVERRIDES} lists them with
 *   the few archive types mime-db does not know.
 * - Compressible: mime-db's `compressible` field where it has one, else
 *   text, JSON and XML; never `application/octet-stream`, which mime-db
 *   marks compressible but which here is whatever netkit cannot name
 *   (executables, disk images, archives), mostly compressed already.
 *
 * @module
 */

import mimeDb from "mime-db/db.json" with { type: "json" };

/** What mime-db records about one type. */
interface MimeEntry {
  source?: string;
  charset?: string;
  compressible?: boolean;
  extensions?: string[];
}

const db = mimeDb as Record<string, MimeEntry>;

/** The type for unknown extensions. */
export const DEFAULT_TYPE = "application/octet-stream";

const TREE = /^(?:vnd\.|x\.|x-|prs\.)/;
const TREE_SCORES: Record<string, number> = { "vnd.": 400, "x.": 300, "x-": 200, "prs.": 100 };
const SOURCE_SCORES: Record<string, number> = { iana: 40, apache: 20, nginx: 10 };
const TOP_SCORES: Record<string, number> = { video: 3, audio: 2, font: 2, application: 1 };

/**
 * How strongly a type claims its extensions (higher wins), as `mime-types`
 * rates them: a standard-tree subtype over `vnd.`, `x.`, `x-` and `prs.`;
 * IANA's registry over mime-db's own additions, Apache's and nginx's; video
 * over audio over font over application over the rest; then the shorter
 * name. Octet-stream, the fallback, never wins.
 */
function typeScore(type: string, source = db[type]?.source): number {
  if (type === DEFAULT_TYPE) return 0;
  const slash = type.indexOf("/");
  const tree = TREE.exec(type.slice(slash + 1))?.[0] ?? "";
  return (TREE_SCORES[tree] ?? 900) + (SOURCE_SCORES[source ?? ""] ?? 30) +
    (TOP_SCORES[type.slice(0, slash)] ?? 0) + 1 - type.length / 100;
}

/** Extension (lower-case, no dot) to mime-db's best type for it. */
function dbTypes(): Map<string, string> {
  const types = new Map<string, string>();
  const scores = new Map<string, number>();
  for (const type in db) {
    const { extensions = [], source } = db[type];
    const score = typeScore(type, source);
    for (const ext of extensions) {
      // A tie goes to the later type, as in mime-types.
      if (score < (scores.get(ext) ?? -1)) continue;
      types.set(ext, type);
      scores.set(ext, score);
    }
  }
  return types;
}

/**
 * netkit's own choices, where mime-db has another type or none: source
 * files as text a browser shows, and common compressed formats.
 */
export const OVERRIDES: Readonly<Record<string, string>> = {
  ts: "text/plain", // mime-db: video/mp2t
  tsx: "text/plain",
  rs: "text/plain", // mime-db: application/rls-services+xml
  py: "text/plain",
  hpp: "text/x-c", // as .h and .cpp
  diff: "text/x-diff",
  patch: "text/x-diff",
  sh: "text/plain", // mime-db: application/x-sh, which browsers download
  toml: "text/plain", // mime-db: application/toml, likewise
  cjs: "text/javascript", // mime-db: application/node
  tgz: "application/gzip",
  br: "application/x-brotli",
  zst: "application/zstd",
};

/** `type` with `; charset=utf-8` when it is text (see the module's rules). */
function withCharset(type: string): string {
  const utf8 = type.startsWith("text/") || db[type]?.charset === "UTF-8" ||
    type.endsWith("+json");
  return utf8 ? `${type}; charset=utf-8` : type;
}

/** Every known extension to its full `Content-Type`, built once. */
const TABLE = new Map<string, string>();
for (const [ext, type] of dbTypes()) TABLE.set(ext, withCharset(type));
for (const ext in OVERRIDES) TABLE.set(ext, withCharset(OVERRIDES[ext]));

/**
 * The `Content-Type` for a file name: by the extension after the last dot,
 * case-insensitive; {@linkcode DEFAULT_TYPE} for none (`.bashrc` has none)
 * or an unknown one.
 *
 * @example
 * ```ts
 * import { contentTypeFor } from "./content_type.ts";
 * contentTypeFor("index.html"); // "text/html; charset=utf-8"
 * contentTypeFor("book.epub"); // "application/epub+zip"
 * ```
 */
export function contentTypeFor(name: string): string {
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return DEFAULT_TYPE;
  return TABLE.get(name.slice(dot + 1).toLowerCase()) ?? DEFAULT_TYPE;
}

/**
 * True for types that shrink under gzip or brotli: mime-db's `compressible`
 * where it says, else text, JSON and XML types. Images, media, archives and
 * unknown content ({@linkcode DEFAULT_TYPE}) never are.
 */
export function isCompressible(type: string): boolean {
  const semi = type.indexOf(";");
  const base = (semi < 0 ? type : type.slice(0, semi)).trim().toLowerCase();
  if (base === DEFAULT_TYPE) return false;
  return db[base]?.compressible ?? /^text\/|\+(?:json|text|xml)$/.test(base);
}
