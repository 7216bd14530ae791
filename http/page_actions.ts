/**
 * The listing page's folder actions: "New folder" (`MKCOL`) and, per row,
 * "Rename" (`MOVE`, to a new name or, with slashes, to another folder),
 * sent like the uploads: `X-Netkit: 1`, the page's own origin, the
 * credentials of the Sign in fields. The controls need JavaScript and
 * stay hidden without it; names reach the page only as text.
 *
 * @module
 */

/** Reads the Sign in fields into an `Authorization` value (shared with the upload script). */
export const CREDENTIALS_JS = `function authorization() {
  const t = document.getElementById("token"), u = document.getElementById("user"),
    p = document.getElementById("pass");
  if (t && t.value) return "Bearer " + t.value;
  if (u && (u.value || (p && p.value))) {
    const bytes = new TextEncoder().encode(u.value + ":" + (p ? p.value : ""));
    return "Basic " + btoa(String.fromCharCode(...bytes));
  }
  return null;
}`;

/** The style of the actions. */
export const ACTIONS_CSS = `
#newdir{display:flex;gap:.4rem;margin-left:auto}
#newdir input,td.name input{font:inherit;padding:.15rem .45rem;border:1px solid var(--line);
border-radius:6px;background:var(--bg);color:var(--fg);min-width:0}
#newdir button,td.name button{font:inherit;font-size:.85rem;padding:.15rem .6rem;
border:1px solid var(--line);border-radius:6px;background:var(--row);color:var(--fg);cursor:pointer}
td.name .mv{margin-left:.6rem;visibility:hidden}
tr:hover td.name .mv,td.name .mv:focus{visibility:visible}
td.name form{display:flex;gap:.4rem}td.name form input{flex:1 1 auto}
#actmsg{margin:0 0 .75rem;font-size:.9rem}#actmsg.err{color:var(--err);font-weight:600}
#actmsg.ok{color:var(--ok)}
#signin{margin:0 0 1rem;font-size:.9rem}#signin .cred{display:flex;flex-wrap:wrap;gap:.5rem;
margin-top:.5rem}#signin input{font:inherit;padding:.3rem .5rem;border:1px solid var(--line);
border-radius:6px;background:var(--bg);color:var(--fg)}
@media (max-width:600px){td.name .mv{visibility:visible}}
`;

/** The JavaScript of the actions. */
export const ACTIONS_JS = `(() => {
"use strict";
${CREDENTIALS_JS}
const msg = document.getElementById("actmsg");
const reasons = {
  401: "not signed in, or wrong credentials: fill in Sign in and try again",
  403: "the server refused this change",
  405: "this server does not allow it",
  409: "the folder it goes into does not exist",
  412: "that name is taken",
  423: "it is locked by someone else",
  502: "the destination is on another server",
};
function say(text, ok) {
  msg.textContent = text;
  msg.className = ok ? "ok" : "err";
  if (!ok && text.startsWith("401")) {
    const d = document.querySelector("#up details, #signin");
    if (d) d.open = true;
  }
}
function encodePath(path) {
  return path.split("/").map(encodeURIComponent).join("/");
}
async function send(method, url, headers) {
  const h = { "X-Netkit": "1", ...headers };
  const a = authorization();
  if (a) h.Authorization = a;
  try {
    const res = await fetch(url, { method, headers: h, cache: "no-store" });
    if (res.ok) return true;
    const said = res.status === 401 ? "" : (await res.text()).trim().slice(0, 200);
    say(res.status + ": " + (reasons[res.status] || said || res.statusText), false);
  } catch {
    say("network error: the connection to the server failed", false);
  }
  return false;
}
async function refresh() {
  const res = await fetch(location.href, { headers: { accept: "text/html" }, cache: "no-store" });
  const doc = new DOMParser().parseFromString(await res.text(), "text/html");
  const fresh = doc.querySelector("main");
  if (fresh) document.querySelector("main").replaceWith(fresh);
  for (const b of document.querySelectorAll(".mv")) b.hidden = false;
}
function done(text) {
  msg.dataset.done = String(Number(msg.dataset.done || 0) + 1);
  if (text) say(text, true);
}
const form = document.getElementById("newdir");
if (form) {
  form.hidden = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = document.getElementById("dirname");
    const name = input.value.trim();
    if (name === "" || name.includes("/")) {
      say("a folder name, without slashes", false);
      return done();
    }
    if (await send("MKCOL", location.pathname + encodeURIComponent(name) + "/")) {
      input.value = "";
      await refresh();
      return done("created " + name + "/");
    }
    done();
  });
}
for (const b of document.querySelectorAll(".mv")) b.hidden = false;
document.addEventListener("click", (e) => {
  const b = e.target.closest && e.target.closest("button.mv");
  if (!b) return;
  const cell = b.closest("td");
  const link = cell.querySelector("a");
  const name = b.dataset.name;
  const dir = b.dataset.dir === "1";
  const f = document.createElement("form");
  const input = document.createElement("input");
  input.value = name;
  input.setAttribute("aria-label", "New name or path for " + name);
  const ok = document.createElement("button");
  ok.textContent = "Save";
  const no = document.createElement("button");
  no.type = "button";
  no.textContent = "Cancel";
  f.append(input, ok, no);
  link.hidden = true;
  b.hidden = true;
  cell.append(f);
  input.focus();
  input.select();
  const close = () => {
    f.remove();
    link.hidden = false;
    b.hidden = false;
  };
  no.addEventListener("click", () => {
    close();
    done();
  });
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const to = input.value.trim().replace(/\\/+$/, "");
    if (to === "" || to === name) {
      close();
      return done();
    }
    const from = location.pathname + encodeURIComponent(name) + (dir ? "/" : "");
    const target = to.startsWith("/") ? encodePath(to) : location.pathname + encodePath(to);
    const dest = new URL(target + (dir ? "/" : ""), location.href).href;
    if (await send("MOVE", from, { Destination: dest, Overwrite: "F" })) {
      await refresh();
      return done("moved " + name + " to " + to);
    }
    done();
  });
});
})();`;
