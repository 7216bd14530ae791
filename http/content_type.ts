/**
 * `Content-Type` from a file's extension, with `charset=utf-8` for text, and
 * whether a type is worth compressing.
 *
 * @module
 */

const TEXT = "; charset=utf-8";

/** Extension (lower-case, no dot) to media type. Text types get a charset. */
const TYPES: Record<string, string> = {
  html: "text/html" + TEXT,
  htm: "text/html" + TEXT,
  css: "text/css" + TEXT,
  js: "text/javascript" + TEXT,
  mjs: "text/javascript" + TEXT,
  cjs: "text/javascript" + TEXT,
  json: "application/json" + TEXT,
  map: "application/json" + TEXT,
  webmanifest: "application/manifest+json" + TEXT,
  txt: "text/plain" + TEXT,
  text: "text/plain" + TEXT,
  log: "text/plain" + TEXT,
  md: "text/markdown" + TEXT,
  csv: "text/csv" + TEXT,
  tsv: "text/tab-separated-values" + TEXT,
  xml: "application/xml" + TEXT,
  svg: "image/svg+xml" + TEXT,
  ts: "text/plain" + TEXT, // not video/mp2t: source code is the common case
  tsx: "text/plain" + TEXT,
  jsx: "text/javascript" + TEXT,
  yaml: "text/yaml" + TEXT,
  yml: "text/yaml" + TEXT,
  toml: "text/plain" + TEXT,
  ini: "text/plain" + TEXT,
  sh: "text/plain" + TEXT,
  py: "text/plain" + TEXT,
  rs: "text/plain" + TEXT,
  c: "text/plain" + TEXT,
  h: "text/plain" + TEXT,
  wasm: "application/wasm",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  tgz: "application/gzip",
  br: "application/x-brotli",
  zst: "application/zstd",
  xz: "application/x-xz",
  bz2: "application/x-bzip2",
  "7z": "application/x-7z-compressed",
  tar: "application/x-tar",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  ico: "image/x-icon",
  bmp: "image/bmp",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  wav: "audio/wav",
  flac: "audio/flac",
  mp4: "video/mp4",
  webm: "video/webm",
  mkv: "video/x-matroska",
  mov: "video/quicktime",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  otf: "font/otf",
  iso: "application/x-iso9660-image",
};

/** The type for unknown extensions. */
export const DEFAULT_TYPE = "application/octet-stream";

/**
 * The `Content-Type` for a file name.
 *
 * @example
 * ```ts
 * import { contentTypeFor } from "./content_type.ts";
 * contentTypeFor("index.html"); // "text/html; charset=utf-8"
 * ```
 */
export function contentTypeFor(name: string): string {
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return DEFAULT_TYPE;
  return TYPES[name.slice(dot + 1).toLowerCase()] ?? DEFAULT_TYPE;
}

/**
 * True for types that shrink under gzip or brotli: text, JSON, XML, SVG,
 * JavaScript, WebAssembly and uncompressed fonts. Images, media and archives
 * are already compressed and never are.
 */
export function isCompressible(type: string): boolean {
  return type.startsWith("text/") || type.includes("json") ||
    type.includes("xml") || type === "application/wasm" ||
    type === "font/ttf" || type === "font/otf";
}
