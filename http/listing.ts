/**
 * Directory listings as pure renderers: an HTML page (sorted folders first,
 * sizes, dates, every name escaped and every link percent-encoded) and a
 * JSON document for clients that ask for `application/json`.
 *
 * @module
 */

import { formatSize, formatTime } from "../core/text/format.ts";
import { printableName } from "../core/text/printable.ts";

/** One visible entry of a folder. */
export interface ListingEntry {
  /** The entry's name (one segment). */
  name: string;
  /** True for a folder (after following symlinks inside the root). */
  dir: boolean;
  /** Size in bytes; 0 for folders. */
  size: number;
  /** Modification time in milliseconds since the epoch, or null. */
  mtimeMs: number | null;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A name as HTML, shown as {@linkcode printableName} shows it in a terminal
 * (characters that do not show, and leading or trailing spaces, as
 * escapes), each escape in a `<mark>` (titled with its code point) so it
 * stands apart from the letters around it even without a style sheet.
 */
export function nameHtml(name: string): string {
  return escapeHtml(printableName(name)).replace(
    /\\(?:x([0-9a-f]{2})|u\{([0-9a-f]+)\}|\\)/g,
    (e, x, u) => {
      const code = (x ?? u ?? "5c").toUpperCase().padStart(4, "0");
      return `<mark title="U+${code}">${e}</mark>`;
    },
  );
}

/** A decoded URL path as HTML, each segment as {@linkcode nameHtml} shows it. */
export function pathHtml(urlPath: string): string {
  return urlPath.split("/").map(nameHtml).join("/");
}

/** Sorts folders first, then by name in code-point order (stable, locale-free). */
export function sortEntries(entries: ListingEntry[]): ListingEntry[] {
  return entries.sort((a, b) =>
    a.dir !== b.dir ? (a.dir ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0
  );
}

/**
 * Renders the HTML listing of the folder at URL path `urlPath` (decoded,
 * ending in `/`). Links are relative (`./name`), so no name can turn into a
 * scheme or another host.
 */
export function renderHtml(urlPath: string, entries: ListingEntry[]): string {
  const path = urlPath.split("/").map(printableName).join("/");
  const rows = sortEntries(entries).map((e) => {
    const href = "./" + encodeURIComponent(e.name) + (e.dir ? "/" : "");
    const label = nameHtml(e.name) + (e.dir ? "/" : "");
    const size = e.dir ? "-" : formatSize(e.size);
    return `<tr><td><a href="${escapeHtml(href)}">${label}</a></td>` +
      `<td class="s">${size}</td><td>${e.mtimeMs === null ? "" : formatTime(e.mtimeMs)}</td></tr>`;
  });
  const up = urlPath === "/" ? "" : `<tr><td><a href="../">../</a></td><td></td><td></td></tr>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`Index of ${path}`)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}td{padding:.15em 1em .15em 0}.s{text-align:right}</style>
</head><body><h1>Index of ${pathHtml(urlPath)}</h1>
<table><thead><tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr></thead><tbody>
${up}${rows.join("\n")}
</tbody></table></body></html>
`;
}

/** Renders the JSON listing: `{ path, entries: [{ name, type, size, mtime }] }`. */
export function renderJson(urlPath: string, entries: ListingEntry[]): string {
  return JSON.stringify({
    path: urlPath,
    entries: sortEntries(entries).map((e) => ({
      name: e.name,
      type: e.dir ? "dir" : "file",
      size: e.size,
      mtime: e.mtimeMs === null ? null : new Date(e.mtimeMs).toISOString(),
    })),
  });
}

/** True when the `Accept` header prefers JSON over HTML. */
export function wantsJson(accept: string | null): boolean {
  if (accept === null) return false;
  const a = accept.toLowerCase();
  const json = a.indexOf("application/json");
  if (json < 0) return false;
  const html = a.indexOf("text/html");
  return html < 0 || json < html;
}
