/**
 * The listing page's upload script, embedded so the single binary carries
 * it. It only enhances: the page lists and sorts without it. Each chosen or
 * dropped file goes up as its own `PUT` through `XMLHttpRequest` (for upload
 * progress), with `X-Netkit: 1` and, when filled in, the credentials; every
 * outcome gets a plain message. Names only ever reach the page as text.
 *
 * @module
 */

import { CREDENTIALS_JS } from "./page_actions.ts";

/** The JavaScript of the listing page. */
export const PAGE_JS = `(() => {
"use strict";
const $ = (id) => document.getElementById(id);
const box = $("up");
if (!box) return;
box.hidden = false;
const list = $("progress");
const reasons = {
  400: "the server refused this name",
  401: "not signed in, or wrong credentials: fill in Sign in and try again",
  403: "the server refused this write",
  405: "uploads are switched off on this server",
  409: "a file with this name already exists",
  413: "too large for this server",
  507: "the server's disk is full",
};
${CREDENTIALS_JS}
function row(file) {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.className = "fname";
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.max = Math.max(file.size, 1);
  bar.value = 0;
  const msg = document.createElement("span");
  msg.className = "msg";
  msg.textContent = "starting";
  li.append(name, bar, msg);
  list.append(li);
  return { li, bar, msg };
}
function send(file) {
  const r = row(file);
  return new Promise((done) => {
    const fail = (text) => {
      if (text.startsWith("401")) box.querySelector("details").open = true;
      r.li.className = "err";
      r.msg.textContent = text;
      done(false);
    };
    const x = new XMLHttpRequest();
    x.open("PUT", location.pathname + encodeURIComponent(file.name));
    x.setRequestHeader("X-Netkit", "1");
    const a = authorization();
    if (a) x.setRequestHeader("Authorization", a);
    x.upload.onprogress = (e) => {
      r.bar.value = e.loaded;
      r.msg.textContent = Math.floor(100 * e.loaded / Math.max(e.total, 1)) + " %";
    };
    x.onload = () => {
      if (x.status >= 200 && x.status < 300) {
        r.bar.value = r.bar.max;
        r.li.className = "ok";
        r.msg.textContent = "uploaded";
        done(true);
      } else {
        const said = x.status === 401 ? "" : x.responseText.trim().slice(0, 200);
        fail(x.status + ": " + (said || reasons[x.status] || x.statusText));
      }
    };
    x.onerror = () => fail("network error: the connection to the server failed");
    x.ontimeout = () => fail("network error: the server did not answer in time");
    x.onabort = () => fail("cancelled");
    x.send(file);
  });
}
async function refresh() {
  try {
    const res = await fetch(location.href, { headers: { accept: "text/html" }, cache: "no-store" });
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    const fresh = doc.querySelector("main");
    if (fresh) document.querySelector("main").replaceWith(fresh);
  } catch { /* the list stays as it was */ }
}
async function upload(files) {
  if (!files || files.length === 0) return;
  box.dataset.busy = "1";
  const results = await Promise.all(Array.from(files, send));
  if (results.some(Boolean)) await refresh();
  delete box.dataset.busy;
  box.dataset.done = String(Number(box.dataset.done || 0) + 1);
}
const input = $("files");
input.addEventListener("change", () => {
  const files = Array.from(input.files);
  input.value = "";
  upload(files);
});
let depth = 0;
document.addEventListener("dragenter", (e) => {
  e.preventDefault();
  depth++;
  box.classList.add("over");
});
document.addEventListener("dragleave", () => {
  if (--depth <= 0) box.classList.remove("over");
});
document.addEventListener("dragover", (e) => e.preventDefault());
document.addEventListener("drop", (e) => {
  e.preventDefault();
  depth = 0;
  box.classList.remove("over");
  upload(e.dataTransfer && e.dataTransfer.files);
});
})();`;
