/**
 * The listing page's "share" action, embedded so the single binary carries
 * it: each button asks the server for a link (`POST …?share`, with the
 * browser's own credentials) and shows it under the row, selected, with a
 * copy button. Names and links only ever reach the page as text.
 *
 * @module
 */

/** The JavaScript of the share action. */
export const SHARE_JS = `(() => {
"use strict";
for (const b of document.querySelectorAll("button.share")) {
  b.addEventListener("click", async () => {
    const cell = b.closest("td");
    let out = cell.querySelector(".link");
    if (!out) {
      out = document.createElement("div");
      out.className = "link";
      cell.append(out);
    }
    out.textContent = "making a link…";
    try {
      const r = await fetch(new URL(b.dataset.href, location.href).pathname + "?share", {
        method: "POST",
        headers: { "x-netkit": "1", "content-type": "application/x-www-form-urlencoded" },
        body: "expires=24h",
      });
      if (!r.ok) throw new Error(r.status + ": " + (await r.text()).trim().slice(0, 200));
      const got = await r.json();
      const field = document.createElement("input");
      field.readOnly = true;
      field.value = got.url;
      field.className = "url";
      field.setAttribute("aria-label", "Share link");
      const note = document.createElement("span");
      note.textContent = " valid until " + got.expires.slice(0, 16).replace("T", " ") + " UTC";
      out.replaceChildren(field, note);
      field.select();
    } catch (e) {
      out.textContent = "could not make a link: " + e.message;
    }
  });
}
})();`;
