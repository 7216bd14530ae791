// The traversal corpus: every attempt is 400, 403 or 404, never a 500 and
// never a byte from outside the root (not even from the sibling root2).
// On a real server, because the URL parser would rewrite what is sent: the
// corpus byte-exact over raw TCP, curl --path-as-is, and garbage request
// lines and headers. Through the handler (`Request -> Response`, no socket):
// the corpus re-encoded so the URL parser keeps it (the handler decodes it to
// the very same path), redirects, --follow-symlinks and swapped links.
import assert from "node:assert/strict";
import { containsText, curl, makeFixture, rawRequest, SECRET, serve } from "./http_helpers.ts";
import { handlerFor } from "./http_handler_helpers.ts";
import { decodePath } from "../http/url_path.ts";
import { CORPUS } from "./traversal_corpus.ts";

Deno.test("the traversal corpus is refused with 400, 403 or 404 over raw TCP", async () => {
  await using fx = await makeFixture();
  await Deno.symlink(`${fx.base}/root2/secret.txt`, `${fx.root}/sibling.txt`);
  await using s = await serve({ root: fx.root });
  for (const target of CORPUS) {
    for (const method of ["GET", "HEAD"]) {
      const r = await rawRequest(s.addr.port, target, method);
      assert.ok(
        [400, 403, 404].includes(r.status),
        `${method} ${target} -> ${r.status}`,
      );
      assert.ok(!containsText(r.body, SECRET), `${target} leaked the secret`);
      assert.ok(!containsText(r.body, "root:"), `${target} leaked /etc/passwd`);
    }
  }
  const ok = await rawRequest(s.addr.port, "/link-in.txt");
  assert.equal(ok.status, 200); // a symlink that stays inside is fine
});

/**
 * `target` with every `/` after the first as `%2f` and every `\\` as `%5c`:
 * one segment the URL parser keeps as it is, decoded to the same path.
 */
function keptByUrlParser(target: string): string {
  return "/" + target.slice(1).replaceAll("/", "%2f").replaceAll("\\", "%5c");
}

/** What the handler decodes `raw` to, or why it cannot. */
function decoded(raw: string): string {
  try {
    return decodePath(raw);
  } catch (e) {
    return `refused: ${(e as Error).message}`;
  }
}

Deno.test("the traversal corpus is refused through the handler, for reads and uploads", async () => {
  await using fx = await makeFixture();
  await Deno.symlink(`${fx.base}/root2/secret.txt`, `${fx.root}/sibling.txt`);
  await using h = await handlerFor({ root: fx.root, upload: true, mkdir: true, auth: "a:b" });
  const auth = { authorization: `Basic ${btoa("a:b")}` };
  const names = (d: string) =>
    Array.fromAsync(Deno.readDir(d), (e) => e.name).then((n) => n.sort());
  const before = await names(fx.root);
  for (const raw of CORPUS) {
    const target = keptByUrlParser(raw);
    assert.equal(decoded(target), decoded(raw), `${raw} re-encoded as ${target}`);
    for (const method of ["GET", "HEAD"]) {
      const r = await h.fetch(target, { method });
      const body = await r.bytes();
      assert.ok([400, 403, 404].includes(r.status), `${method} ${raw} -> ${r.status}`);
      assert.ok(!containsText(body, SECRET), `${raw} leaked the secret`);
      assert.ok(!containsText(body, "root:"), `${raw} leaked /etc/passwd`);
    }
    // An upload is refused too; 409 only for a name already in the root.
    const put = await h.fetch(target, { method: "PUT", body: "overwritten", headers: auth });
    await put.body?.cancel();
    const taken = before.includes(decoded(raw).slice(1));
    assert.ok(
      [400, 403, 404].includes(put.status) || (taken && put.status === 409),
      `PUT ${raw} -> ${put.status}`,
    );
  }
  assert.deepEqual(await names(fx.root), before);
  for (const f of ["outside/secret.txt", "root2/secret.txt"]) {
    assert.equal(await Deno.readTextFile(`${fx.base}/${f}`), SECRET, f);
  }
  assert.deepEqual(await names(fx.base), ["outside", "root", "root2"]);
  assert.deepEqual(await names(`${fx.base}/outside`), ["secret.txt"]);
  assert.deepEqual(await names(`${fx.base}/root2`), ["secret.txt"]);
});

Deno.test("curl --path-as-is cannot leave the root either", async () => {
  await using fx = await makeFixture();
  await using s = await serve({ root: fx.root });
  const base = s.url.slice(0, -1);
  const targets = CORPUS.filter((t) => !t.includes("\\") && !t.endsWith("%"));
  // One curl for all of them: each body, then a status line of our own.
  const mark = "\n--netkit-status ";
  const out = await curl([
    "--path-as-is",
    "-w",
    `${mark}%{http_code}\n`,
    ...targets.map((t) => base + t),
  ]);
  assert.equal(out.code, 0, out.stderr);
  // body 0, mark, status 0 "\n" body 1, mark, ..., status N-1 "\n"
  const pieces = out.text.split(mark);
  assert.equal(pieces.length, targets.length + 1, out.text);
  targets.forEach((target, i) => {
    const body = i === 0 ? pieces[0] : pieces[i].slice(pieces[i].indexOf("\n") + 1);
    const code = Number(pieces[i + 1].slice(0, pieces[i + 1].indexOf("\n")));
    assert.ok([400, 403, 404].includes(code), `${target} -> ${code}`);
    assert.ok(!body.includes(SECRET), `${target} leaked the secret`);
  });
});

Deno.test("--follow-symlinks serves links out of the root; the lexical jail still holds", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root, followSymlinks: true });
  const out = await h.fetch("/link-out.txt");
  assert.deepEqual([out.status, await out.text()], [200, SECRET]);
  const r = await h.fetch(keptByUrlParser("/%2e%2e/outside/secret.txt"));
  assert.equal(r.status, 400);
  await r.body?.cancel();
});

Deno.test("a redirect Location never starts with //", async () => {
  await using fx = await makeFixture();
  await Deno.mkdir(`${fx.root}/evil.example`);
  await using h = await handlerFor({ root: fx.root });
  for (
    const target of [
      "//evil.example",
      "/evil.example",
      "/%2fevil.example",
      "/%5cevil.example",
    ]
  ) {
    const r = await h.fetch(target);
    await r.body?.cancel();
    const loc = r.headers.get("location");
    if (r.status === 301) {
      assert.ok(
        loc !== null && loc.startsWith("/") && !loc.startsWith("//") &&
          !loc.startsWith("/\\"),
        `${target} -> ${loc}`,
      );
    } else assert.ok([400, 404].includes(r.status), `${target} -> ${r.status}`);
  }
  assert.equal((await h.fetch("/evil.example")).headers.get("location"), "/evil.example/");
});

Deno.test("garbage request lines and huge headers never get a 500", async () => {
  await using fx = await makeFixture();
  await using s = await serve({ root: fx.root });
  for (
    const target of [
      "*",
      "http://evil.example/hello.txt",
      "/" + "a".repeat(5000),
      "/" + "a/".repeat(3000),
    ]
  ) {
    const r = await rawRequest(s.addr.port, target);
    assert.ok(r.status < 500, `${target.slice(0, 40)} -> ${r.status}`);
  }
  const big = await rawRequest(
    s.addr.port,
    "/hello.txt",
    "GET",
    `X-Big: ${"x".repeat(200_000)}\r\n`,
  );
  assert.ok(big.status >= 400 && big.status < 500, `huge header -> ${big.status}`);
  // The server still answers afterwards.
  assert.equal((await rawRequest(s.addr.port, "/hello.txt")).status, 200);
});

Deno.test("a hot file swapped for a symlink out of the root is refused at once", async () => {
  await using fx = await makeFixture();
  await Deno.mkdir(`${fx.root}/d`);
  await Deno.writeTextFile(`${fx.root}/d/f.txt`, "inside");
  await Deno.writeTextFile(`${fx.root}/swap.txt`, "inside");
  await Deno.writeTextFile(`${fx.base}/outside/f.txt`, SECRET);
  await using h = await handlerFor({ root: fx.root, revalidate: 0 });
  for (let i = 0; i < 3; i++) { // served, remembered, served from the fast path
    assert.equal(await (await h.fetch("/swap.txt")).text(), "inside");
    assert.equal(await (await h.fetch("/d/f.txt")).text(), "inside");
  }
  await Deno.remove(`${fx.root}/swap.txt`);
  await Deno.symlink(`${fx.base}/outside/secret.txt`, `${fx.root}/swap.txt`);
  await Deno.rename(`${fx.root}/d`, `${fx.root}/d-old`);
  await Deno.symlink(`${fx.base}/outside`, `${fx.root}/d`);
  for (const target of ["/swap.txt", "/d/f.txt"]) {
    const r = await h.fetch(target);
    assert.equal(r.status, 403, target);
    assert.ok(!containsText(await r.bytes(), SECRET), `${target} leaked the secret`);
  }
});
