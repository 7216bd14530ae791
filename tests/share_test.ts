/**
 * Share links: made by `netkit share` (the real CLI) and by a signed-in user
 * on the listing page, honoured by every server of the library; expiry on a
 * virtual clock, every field tampered with, use outside the path (through
 * `..`, encodings and a symlink), revoke-all, and a second instance sharing
 * the folder.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHttpHandler, type HttpHandler } from "../http/app.ts";
import { runNetkit } from "./cli_helpers.ts";
import { tempDir } from "./temp_dir.ts";
import { ShareSecrets, STATE_DIR } from "../core/access/share_secret.ts";
import { parseShareDuration, signShare, verifyShare } from "../core/access/share_token.ts";
import { htpasswd } from "./users_helpers.ts";

const HOUR = 3_600_000;

async function library(dir: { join(...p: string[]): string }) {
  const root = dir.join("root");
  for (const d of ["root", "root/docs", "root/docs/sub", "root/private", "root/in"]) {
    await Deno.mkdir(dir.join(d));
  }
  await Deno.writeTextFile(`${root}/docs/a.txt`, "doc a");
  await Deno.writeTextFile(`${root}/docs/sub/b.txt`, "doc b");
  await Deno.writeTextFile(`${root}/private/secret.txt`, "SECRET");
  await Deno.writeTextFile(`${root}/top.txt`, "top");
  await Deno.symlink(`${root}/private`, `${root}/docs/escape`);
  return root;
}

/** Makes a link with the real CLI; returns its URL path. */
async function cliShare(root: string, ...args: string[]): Promise<string> {
  const r = await runNetkit(["share", "--root", root, ...args]);
  assert.equal(r.code, 0, r.stderr);
  return new URL(r.stdout.trim()).pathname;
}

function handler(root: string, clock: () => number, extra = {}): Promise<HttpHandler> {
  return createHttpHandler({ root, clock, compress: false, ...extra });
}

async function get(h: HttpHandler, path: string, init: RequestInit = {}) {
  const res = await h.handle(new Request(`http://127.0.0.1:8000${path}`, init));
  return { status: res.status, text: await res.text(), headers: res.headers };
}

Deno.test("share: a file link reads that file until it expires, on a virtual clock", async () => {
  await using dir = await tempDir("share-");
  const root = await library(dir);
  const link = await cliShare(root, "docs/a.txt", "--expires", "2h");
  assert.match(link, /^\/\.netkit-share\/[A-Za-z0-9_.-]+\/a\.txt$/);
  let now = Date.now();
  const h = await handler(root, () => now);
  try {
    assert.deepEqual((await get(h, link)).text, "doc a");
    const token = link.split("/")[2];
    assert.equal((await get(h, `/.netkit-share/${token}/`)).text, "doc a");
    assert.equal((await get(h, `/.netkit-share/${token}/other.txt`)).status, 404);
    assert.equal((await get(h, `/.netkit-share/${token}/a.txt/x`)).status, 404);
    now += 2 * HOUR + 1000;
    const late = await get(h, link);
    assert.equal(late.status, 403);
    assert.match(late.text, /data-why="expired"/);
  } finally {
    h.close();
  }
});

Deno.test("share: a folder link lists and reads inside it, never outside", async () => {
  await using dir = await tempDir("share-");
  const root = await library(dir);
  const link = await cliShare(root, "docs");
  const h = await handler(root, Date.now);
  try {
    const page = await get(h, link);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes("a.txt") && page.text.includes("sub/"));
    assert.ok(!page.text.includes(`href="/"`), "crumbs start at the link, not at the root");
    assert.equal((await get(h, `${link}sub/b.txt`)).text, "doc b");
    // A folder without its slash is redirected inside the link.
    const r = await h.handle(new Request(`http://x${link}sub`));
    assert.equal(r.status, 301);
    assert.equal(r.headers.get("location"), `${link}sub/`);
    for (
      const outside of [
        "../top.txt",
        "..%2ftop.txt",
        "%2e%2e/top.txt",
        "sub/../../top.txt",
        "escape/secret.txt", // a symlink to a folder outside the shared one
        "escape/",
        "..%5ctop.txt",
      ]
    ) {
      const got = await get(h, link + outside);
      assert.ok([400, 403, 404].includes(got.status), `${outside}: ${got.status}`);
      assert.ok(!got.text.includes("SECRET") && !got.text.includes("top"), outside);
    }
    const zip = await h.handle(new Request(`http://x${link}?archive=tar.gz`));
    assert.equal(zip.status, 200);
    const tar = new TextDecoder("latin1").decode(
      await new Response(zip.body!.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
    );
    assert.ok(tar.includes("doc a") && tar.includes("doc b"));
    assert.ok(!tar.includes("SECRET"), "the archive does not follow the symlink out");
    // A read link cannot write.
    const put = await get(h, `${link}new.txt`, { method: "PUT", body: "x" });
    assert.ok(put.status === 405 || put.status === 403, String(put.status));
  } finally {
    h.close();
  }
});

Deno.test("share: every field tampered with, and revoke-all, give a 403 page that says why", async () => {
  await using dir = await tempDir("share-");
  const root = await library(dir);
  const link = await cliShare(root, "docs/a.txt");
  const token = link.split("/")[2];
  const [body, sig] = token.split(".");
  const claims = JSON.parse(Buffer.from(body, "base64url").toString());
  const h = await handler(root, Date.now);
  try {
    const forged = (change: Record<string, unknown>) =>
      `${Buffer.from(JSON.stringify({ ...claims, ...change })).toString("base64url")}.${sig}`;
    const cases: [string, string][] = [
      [forged({ p: "private/secret.txt" }), "altered"],
      [forged({ p: "" }), "altered"],
      [forged({ r: "w" }), "altered"],
      [forged({ e: claims.e + 86_400 * 365 }), "altered"],
      [forged({ u: "alice" }), "altered"],
      [forged({ k: "0000000000ff" }), "revoked"],
      [forged({ v: 2 }), "altered"],
      [`${body}.${sig.slice(0, -2)}AA`, "altered"],
      [`${body}.${sig.slice(0, 10)}`, "malformed"],
      [`${body.slice(0, -3)}.${sig}`, "altered"],
      ["nonsense", "malformed"],
    ];
    for (const [t, why] of cases) {
      const r = await get(h, `/.netkit-share/${t}/a.txt`);
      assert.equal(r.status, 403, t);
      assert.ok(r.text.includes(`data-why="${why}"`), `${t}: ${r.text.slice(0, 300)}`);
      assert.ok(!r.text.includes("SECRET") && !r.text.includes("doc a"));
    }
    assert.equal((await get(h, link)).text, "doc a");
    const revoked = await runNetkit(["share", "--root", root, "--revoke-all"]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = await get(h, link);
    assert.equal(after.status, 403);
    assert.ok(after.text.includes(`data-why="revoked"`));
    // A new link works, under the new secret.
    assert.equal((await get(h, await cliShare(root, "docs/a.txt"))).text, "doc a");
  } finally {
    h.close();
  }
});

Deno.test("share: a second instance sharing the folder honours the same links; racing creators agree", async () => {
  await using dir = await tempDir("share-");
  const root = await library(dir);
  // Two instances race to create the secret: one wins, both read it.
  const a = new ShareSecrets(root);
  const b = new ShareSecrets(root);
  const [sa, sb] = [a.current(), b.current()];
  assert.equal(sa.id, sb.id);
  assert.equal((await Deno.stat(`${root}/${STATE_DIR}/share.key`)).mode! & 0o077, 0);
  const link = await cliShare(root, "docs");
  const h1 = await handler(root, Date.now);
  const h2 = await handler(root, Date.now);
  try {
    assert.equal((await get(h1, `${link}a.txt`)).text, "doc a");
    assert.equal((await get(h2, `${link}a.txt`)).text, "doc a");
    b.rotate();
    assert.equal((await get(h1, `${link}a.txt`)).status, 403, "a rotation is seen at once");
    // The state folder is never served, listed or written through the server.
    assert.equal((await get(h1, `/${STATE_DIR}/share.key`)).status, 400); // a reserved name
    assert.ok(
      !(await get(h1, "/", { headers: { accept: "application/json" } })).text.includes(STATE_DIR),
    );
  } finally {
    h1.close();
    h2.close();
  }
});

Deno.test("share: an upload link takes files into its folder but shows nothing", async () => {
  await using dir = await tempDir("share-");
  const root = await library(dir);
  const link = await cliShare(root, "in", "--upload", "--expires", "1h");
  assert.match(link, /\/$/);
  // The server takes uploads from its signed-in users; the link lets anyone in.
  await using u = await tempDir("share-users-");
  const users = `${u.path}/htpasswd`;
  await Deno.writeTextFile(users, "");
  const h = await handler(root, Date.now, { users, upload: true });
  try {
    const put = await get(h, `${link}report.txt`, { method: "PUT", body: "dropped" });
    assert.equal(put.status, 201, put.text);
    assert.equal(await Deno.readTextFile(`${root}/in/report.txt`), "dropped");
    const page = await get(h, link);
    assert.equal(page.status, 200);
    assert.ok(!page.text.includes("report.txt") && page.text.includes(`id="up"`));
    assert.equal((await get(h, `${link}report.txt`)).status, 403);
    assert.equal((await get(h, `${link}?archive=zip`)).status, 403);
    const outside = await get(h, `${link}../top.txt`, { method: "PUT", body: "x" });
    assert.ok(outside.status >= 400);
    assert.equal(await Deno.readTextFile(`${root}/top.txt`), "top");
  } finally {
    h.close();
  }
});

Deno.test({
  name: "share: a signed-in user makes a link from the listing page, bounded by her own rights",
  ignore: (await htpasswd("-nbB", "probe", "x")) === null,
  async fn() {
    await using dir = await tempDir("share-");
    const root = await library(dir);
    const users = dir.join("htpasswd");
    await Deno.writeTextFile(users, (await htpasswd("-nbB", "alice", "pw"))!);
    let now = Date.now();
    const h = await handler(root, () => now, { users, allow: ["/:r:-", "/private:r:alice"] });
    const alice = { authorization: `Basic ${btoa("alice:pw")}` };
    try {
      const page = await get(h, "/private/", { headers: alice });
      assert.ok(page.text.includes(`class="share"`), "the share action is offered");
      assert.ok(!(await get(h, "/")).text.includes(`class="share"`), "not to anonymous visitors");
      const make = await get(h, "/private/secret.txt?share", {
        method: "POST",
        headers: { ...alice, "x-netkit": "1" },
        body: "expires=1h",
      });
      assert.equal(make.status, 201, make.text);
      const url = new URL(JSON.parse(make.text).url);
      assert.equal((await get(h, url.pathname)).text, "SECRET");
      // Anonymous and cross-origin requests cannot make links.
      assert.equal((await get(h, "/private/secret.txt?share", { method: "POST" })).status, 401);
      const cross = await get(h, "/private/secret.txt?share", {
        method: "POST",
        headers: { ...alice, origin: "http://evil.example" },
      });
      assert.equal(cross.status, 403);
      now += HOUR + 1;
      assert.equal((await get(h, url.pathname)).status, 403);
    } finally {
      h.close();
    }
  },
});

Deno.test("share tokens: pure checks", () => {
  const secret = { id: "abcdef012345", key: new Uint8Array(32).fill(7) };
  const t = signShare({ path: ["a", "b"], rights: "r", expires: 2_000_000, creator: null }, secret);
  assert.deepEqual(verifyShare(t, secret, 1_000_000), {
    path: ["a", "b"],
    rights: "r",
    expires: 2_000_000,
    creator: null,
  });
  assert.equal(verifyShare(t, secret, 2_000_000), "expired");
  assert.equal(verifyShare(t, { ...secret, key: new Uint8Array(32) }, 0), "altered");
  const evil = signShare(
    { path: ["..", "etc"], rights: "r", expires: 9e12, creator: null },
    secret,
  );
  assert.equal(verifyShare(evil, secret, 0), "malformed");
  const v2 = signShare({ path: [], rights: "r", expires: 9e12, creator: null }, secret);
  assert.equal(verifyShare(v2, { ...secret, id: "other0000000" }, 0), "revoked");
  assert.equal(parseShareDuration("24h"), 24 * HOUR);
  assert.equal(parseShareDuration("2w"), 14 * 24 * HOUR);
  for (const bad of ["", "10", "0m", "400d", "1y", "-1h"]) {
    assert.throws(() => parseShareDuration(bad), RangeError);
  }
});
