// The traversal corpus against a running server, sent byte-exact over TCP and
// with curl --path-as-is: every attempt is 400, 403 or 404, never a 500 and
// never a byte from outside the root (not even from the sibling root2).
import assert from "node:assert/strict";
import { containsText, curl, makeFixture, rawRequest, SECRET, serve } from "./http_helpers.ts";
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

Deno.test("curl --path-as-is cannot leave the root either", async () => {
  await using fx = await makeFixture();
  await using s = await serve({ root: fx.root });
  const base = s.url.slice(0, -1);
  for (
    const target of CORPUS.filter((t) => !t.includes("\\") && !t.endsWith("%"))
  ) {
    const out = await curl([
      "--path-as-is",
      "-o",
      "-",
      "-w",
      "\n%{http_code}",
      base + target,
    ]);
    const code = Number(out.text.slice(out.text.lastIndexOf("\n") + 1));
    assert.ok([400, 403, 404].includes(code), `${target} -> ${code}`);
    assert.ok(!out.text.includes(SECRET), `${target} leaked the secret`);
  }
});

Deno.test("--follow-symlinks serves links out of the root; the lexical jail still holds", async () => {
  await using fx = await makeFixture();
  await using s = await serve({ root: fx.root, followSymlinks: true });
  assert.equal((await rawRequest(s.addr.port, "/link-out.txt")).status, 200);
  const r = await rawRequest(s.addr.port, "/%2e%2e/outside/secret.txt");
  assert.equal(r.status, 400);
});

Deno.test("a redirect Location never starts with //", async () => {
  await using fx = await makeFixture();
  await Deno.mkdir(`${fx.root}/evil.example`);
  await using s = await serve({ root: fx.root });
  for (
    const target of [
      "//evil.example",
      "/evil.example",
      "/%2fevil.example",
      "/%5cevil.example",
    ]
  ) {
    const r = await rawRequest(s.addr.port, target);
    const loc = r.headers.get("location");
    if (r.status === 301) {
      assert.ok(
        loc !== undefined && loc.startsWith("/") && !loc.startsWith("//") &&
          !loc.startsWith("/\\"),
        `${target} -> ${loc}`,
      );
    } else assert.ok([400, 404].includes(r.status), `${target} -> ${r.status}`);
  }
  assert.equal(
    (await rawRequest(s.addr.port, "/evil.example")).headers.get("location"),
    "/evil.example/",
  );
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
  await using s = await serve({ root: fx.root, revalidate: 0 });
  for (let i = 0; i < 3; i++) { // served, remembered, served from the fast path
    assert.equal(
      new TextDecoder().decode((await rawRequest(s.addr.port, "/swap.txt")).body),
      "inside",
    );
    assert.equal(
      new TextDecoder().decode((await rawRequest(s.addr.port, "/d/f.txt")).body),
      "inside",
    );
  }
  await Deno.remove(`${fx.root}/swap.txt`);
  await Deno.symlink(`${fx.base}/outside/secret.txt`, `${fx.root}/swap.txt`);
  await Deno.rename(`${fx.root}/d`, `${fx.root}/d-old`);
  await Deno.symlink(`${fx.base}/outside`, `${fx.root}/d`);
  for (const target of ["/swap.txt", "/d/f.txt"]) {
    const r = await rawRequest(s.addr.port, target);
    assert.equal(r.status, 403, target);
    assert.ok(!containsText(r.body, SECRET), `${target} leaked the secret`);
  }
});
