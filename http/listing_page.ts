/**
 * The folder listing page of `netkit http`: sortable by name, size and date
 * through plain links (`?sort=size&order=desc`, so it works with JavaScript
 * off), breadcrumbs, human sizes, archive links, and, with `--upload`, the
 * upload control. Style and script are embedded template modules, allowed by
 * a per-page nonce in a Content-Security-Policy that forbids everything else
 * (no external resources, no inline handlers). Every name is escaped.
 *
 * @module
 */

import { escapeHtml, type ListingEntry, nameHtml, pathHtml } from "./listing.ts";
import { printableName } from "../core/text/printable.ts";
import { formatSize } from "../core/text/format.ts";
import { PAGE_CSS } from "./page_style.ts";
import { PAGE_JS } from "./page_script.ts";
import { ACTIONS_CSS, ACTIONS_JS } from "./page_actions.ts";
import { SHARE_JS } from "./share_script.ts";

/** Sort keys of the page. */
export type SortKey = "name" | "size" | "date";

/** How the page is built. */
export interface PageOptions {
  /** The request's query string (`?sort=...&order=...`), or "". */
  search: string;
  /** Show the upload control. */
  upload: boolean;
  /** Which credentials the server takes (fields shown in the upload control). */
  auth: { basic: boolean; token: boolean };
  /** Offer the folder as zip and tar.gz. */
  archives: boolean;
  /** Offer "New folder" (the server takes MKCOL). @default false */
  mkdir?: boolean;
  /** Offer "Rename" on each row (the server takes MOVE). @default false */
  move?: boolean;
  /** The folder can be written to but not read: say so instead of "empty". @default false */
  dropBox?: boolean;
  /** Offer a "Sign in" link (`?login`). @default false */
  signIn?: boolean;
  /** Offer a "share" action on each row (the names given are those the user may share). @default none */
  share?: ReadonlySet<string>;
  /** Seen through a share link: the crumbs start at the link (`href`), below `depth` segments. */
  base?: { href: string; depth: number };
}

/** The sort asked for by a query string; unknown values fall back to name, ascending. */
export function sortOf(search: string): { key: SortKey; desc: boolean } {
  const q = new URLSearchParams(search);
  const k = q.get("sort");
  const key: SortKey = k === "size" || k === "date" ? k : "name";
  return { key, desc: q.get("order") === "desc" };
}

/** Sorts folders first, then by `key` (ties by name), reversed within each group when `desc`. */
export function sortListing(entries: ListingEntry[], key: SortKey, desc: boolean): ListingEntry[] {
  const byName = (a: ListingEntry, b: ListingEntry) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  const cmp = (a: ListingEntry, b: ListingEntry): number => {
    const d = key === "size"
      ? a.size - b.size
      : key === "date"
      ? (a.mtimeMs ?? 0) - (b.mtimeMs ?? 0)
      : 0;
    return d !== 0 ? d : byName(a, b);
  };
  return [...entries].sort((a, b) =>
    a.dir !== b.dir ? (a.dir ? -1 : 1) : desc ? cmp(b, a) : cmp(a, b)
  );
}

function crumbs(all: string[], base?: PageOptions["base"]): string {
  const segments = base ? all.slice(base.depth) : all;
  let href = base?.href ?? "/";
  const items = [`<li><a href="${escapeHtml(href)}">${base ? "Shared" : "Home"}</a></li>`];
  segments.forEach((s, i) => {
    href += encodeURIComponent(s) + "/";
    items.push(
      i === segments.length - 1
        ? `<li aria-current="page">${nameHtml(s)}</li>`
        : `<li><a href="${escapeHtml(href)}">${nameHtml(s)}</a></li>`,
    );
  });
  return `<nav class="crumbs" aria-label="Folders"><ol>${items.join("")}</ol></nav>`;
}

function header(key: SortKey, label: string, current: { key: SortKey; desc: boolean }, cls = "") {
  const on = current.key === key;
  const order = on && !current.desc ? "desc" : "asc";
  const arrow = on ? (current.desc ? " ▼" : " ▲") : "";
  const sort = on ? ` aria-sort="${current.desc ? "descending" : "ascending"}"` : "";
  return `<th${cls ? ` class="${cls}"` : ""}${sort}><a href="?sort=${key}&amp;order=${order}">` +
    `${label}${arrow}</a></th>`;
}

function when(ms: number | null): string {
  if (ms === null) return "";
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 10)}<span class="t"> ${
    iso.slice(11, 16)
  }</span></time>`;
}

function credentialFields(auth: PageOptions["auth"]): string {
  return [
    auth.basic
      ? `<input id="user" name="user" autocomplete="username" placeholder="User" aria-label="User">` +
        `<input id="pass" name="pass" type="password" autocomplete="current-password" placeholder="Password" aria-label="Password">`
      : "",
    auth.token
      ? `<input id="token" name="token" type="password" autocomplete="off" placeholder="Token" aria-label="Token">`
      : "",
  ].join("");
}

function uploadBox(auth: PageOptions["auth"]): string {
  const fields = credentialFields(auth);
  return `<section id="up" hidden aria-label="Upload">
<label><input type="file" id="files" multiple><span class="pick">Choose files</span></label>
<span class="hint">or drop them anywhere on this page</span>
<details><summary>Sign in</summary><div class="cred">${fields}</div></details>
<ul id="progress" aria-live="polite"></ul>
</section>
<noscript><p class="note">Uploading from this page needs JavaScript; <code>curl -T FILE URL</code> works too.</p></noscript>`;
}

/**
 * Renders the listing page of the folder at `urlPath` (decoded, ending in
 * `/`). Row links are relative (`./name`), so no name can become a scheme or
 * another host.
 */
export function renderPage(urlPath: string, entries: ListingEntry[], o: PageOptions): string {
  const segments = urlPath.split("/").filter((s) => s !== "");
  const sort = sortOf(o.search);
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const rows = sortListing(entries, sort.key, sort.desc).map((e) => {
    const href = "./" + encodeURIComponent(e.name) + (e.dir ? "/" : "");
    const rename = o.move
      ? `<button type="button" class="mv" hidden data-name="${escapeHtml(e.name)}" data-dir="${
        e.dir ? 1 : 0
      }" aria-label="Rename ${escapeHtml(e.name)}">Rename</button>`
      : "";
    const share = o.share?.has(e.name)
      ? ` <button type="button" class="share" data-href="${escapeHtml(href)}">share</button>`
      : "";
    return `<tr${e.dir ? ` class="dir"` : ""}><td class="name"><a href="${escapeHtml(href)}">` +
      `${nameHtml(e.name)}${e.dir ? "/" : ""}</a>${rename}${share}</td>` +
      `<td class="size">${e.dir ? "—" : formatSize(e.size)}</td>` +
      `<td class="date">${when(e.mtimeMs)}</td></tr>`;
  });
  const up = segments.length <= (o.base?.depth ?? 0)
    ? ""
    : `<tr class="up"><td class="name"><a href="../">../</a></td><td></td><td></td></tr>`;
  const files = entries.filter((e) => !e.dir);
  const total = files.reduce((a, e) => a + e.size, 0);
  const folders = entries.length - files.length;
  const summary = `${folders} folder${folders === 1 ? "" : "s"}, ${files.length} file${
    files.length === 1 ? "" : "s"
  }, ${formatSize(total)}`;
  const archives = o.archives
    ? `<span>Download folder: <a href="?archive=zip" download>zip</a> <a href="?archive=tar.gz" download>tar.gz</a></span>`
    : "";
  const actions = (o.mkdir ?? false) || (o.move ?? false);
  const newFolder = o.mkdir
    ? `<form id="newdir" hidden aria-label="New folder"><input id="dirname" placeholder="Folder name" aria-label="New folder name" autocomplete="off"><button>New folder</button></form>`
    : "";
  // The folder actions' own sign-in fields, unless the page offers the browser's.
  const davSignIn = actions && !o.upload && !o.signIn
    ? `<details id="signin"><summary>Sign in</summary><div class="cred">${
      credentialFields(o.auth)
    }</div></details>`
    : "";
  const title = escapeHtml(segments.length ? printableName(segments.at(-1)!) : "Files");
  const csp = `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; ` +
    `connect-src 'self'; img-src 'self' data:; form-action 'none'; base-uri 'none'`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · netkit</title>
<style nonce="${nonce}">${PAGE_CSS}${actions ? ACTIONS_CSS : ""}</style>
</head><body>
<header>${o.signIn ? `<a class="login" href="?login">Sign in</a>` : ""}${
    crumbs(segments, o.base)
  }<h1>Index of ${
    pathHtml(o.base ? "/" + segments.slice(o.base.depth).map((s) => s + "/").join("") : urlPath)
  }</h1></header>
${o.upload ? uploadBox(o.auth) : ""}${davSignIn}
${actions ? `<p id="actmsg" role="status" aria-live="polite"></p>` : ""}
<main>
<div class="bar"><span>${summary}</span>${archives}${newFolder}</div>
<table><thead><tr>${header("name", "Name", sort)}${header("size", "Size", sort, "size")}${
    header("date", `Modified<span class="t"> (UTC)</span>`, sort)
  }</tr></thead>
<tbody>
${up}${rows.join("\n")}${
    entries.length === 0
      ? `<tr><td class="empty" colspan="3">${
        o.dropBox
          ? "This is a drop box: you may upload here, but what is inside is not shown."
          : "This folder is empty."
      }</td></tr>`
      : ""
  }
</tbody></table>
</main>
<footer>netkit http</footer>
${o.upload ? `<script nonce="${nonce}">${PAGE_JS}</script>` : ""}${
    actions ? `<script nonce="${nonce}">${ACTIONS_JS}</script>` : ""
  }${o.share?.size ? `<script nonce="${nonce}">${SHARE_JS}</script>` : ""}
</body></html>
`;
}
