// `netkit http`'s static answers: every status, the headers that matter,
// 304 without a body, listings and the options. Through the handler
// (`Request -> Response`, no socket) except two tests on a real server:
// HEAD (Deno.serve decides what goes on the wire after the head) and 405
// for TRACE, a method `new Request` refuses to build.
import assert from "node:assert/strict";
import { makeFixture, rawRequest, serve } from "./http_helpers.ts";
import { handlerFor } from "./http_handler_helpers.ts";

Deno.test("GET serves a file with type, validators and nosniff", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root });
  const r = await h.fetch("/hello.txt");
  assert.equal(r.status, 200);
  assert.equal(await r.text(), "hello, world\n");
  assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(r.headers.get("x-content-type-options"), "nosniff");
  assert.equal(r.headers.get("accept-ranges"), "bytes");
  assert.equal(r.headers.get("content-length"), "13");
  assert.ok(
    /^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/.test(r.headers.get("etag") ?? ""),
    "strong etag",
  );
  assert.ok(r.headers.get("last-modified")?.endsWith("GMT"), "last-modified");
  const png = await h.fetch("/pic.png");
  assert.equal(png.headers.get("content-type"), "image/png");
  assert.equal(png.headers.get("content-length"), "4096");
  assert.equal((await png.bytes()).length, 4096);
});

Deno.test("HEAD sends the headers of GET and no body", async () => {
  await using fx = await makeFixture();
  await using s = await serve({ root: fx.root });
  for (const path of ["/data.bin", "/site/", "/docs/"]) {
    const get = await rawRequest(s.addr.port, path);
    const head = await rawRequest(s.addr.port, path, "HEAD");
    assert.equal(head.status, 200, path);
    assert.equal(head.body.length, 0, path);
    assert.equal(
      head.headers.get("content-length"),
      get.headers.get("content-length"),
      path,
    );
    assert.equal(head.headers.get("etag"), get.headers.get("etag"), path);
  }
});

Deno.test("If-None-Match and If-Modified-Since give 304 without a body", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root });
  const first = await h.fetch("/hello.txt");
  await first.body?.cancel();
  const etag = first.headers.get("etag")!;
  const lm = first.headers.get("last-modified")!;
  for (
    const [name, value] of [
      ["if-none-match", etag],
      ["if-modified-since", lm],
      ["if-none-match", `"x", ${etag}`],
    ]
  ) {
    const r = await h.fetch("/hello.txt", { headers: { [name]: value } });
    assert.equal(r.status, 304, `${name}: ${value}`);
    assert.equal(r.body, null, `${name}: ${value}`);
    assert.equal(r.headers.get("etag"), etag);
  }
  const changed = await h.fetch("/hello.txt", { headers: { "if-none-match": '"other"' } });
  assert.equal(changed.status, 200);
  await changed.body?.cancel();
});

Deno.test("If-Match and If-Unmodified-Since give 412", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root });
  const r1 = await h.fetch("/hello.txt", { headers: { "if-match": '"nope"' } });
  assert.equal(r1.status, 412);
  await r1.body?.cancel();
  const r2 = await h.fetch("/hello.txt", {
    headers: { "if-unmodified-since": "Mon, 01 Jan 2001 00:00:00 GMT" },
  });
  assert.equal(r2.status, 412);
  await r2.body?.cancel();
  const etag = (await h.fetch("/hello.txt", { method: "HEAD" })).headers.get("etag")!;
  const r3 = await h.fetch("/hello.txt", { headers: { "if-match": etag } });
  assert.equal(r3.status, 200);
  await r3.body?.cancel();
});

Deno.test("other methods get 405 with Allow", async () => {
  await using fx = await makeFixture();
  await using s = await serve({ root: fx.root });
  for (
    const method of [
      "POST",
      "PUT",
      "DELETE",
      "PATCH",
      "OPTIONS",
      "TRACE",
      "FOO",
    ]
  ) {
    const r = await rawRequest(
      s.addr.port,
      "/hello.txt",
      method,
      "Content-Length: 0\r\n",
    );
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.get("allow"), "GET, HEAD", method);
  }
});

Deno.test("a folder serves index.html; without the slash it redirects", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root });
  const r = await h.fetch("/site/");
  assert.equal(await r.text(), "<p>site index</p>\n");
  const red = await h.fetch("/site?x=1");
  assert.equal(red.status, 301);
  assert.equal(red.headers.get("location"), "/site/?x=1");
  await red.body?.cancel();
  const fileSlash = await h.fetch("/hello.txt/");
  assert.equal(fileSlash.status, 404);
  await fileSlash.body?.cancel();
});

Deno.test("a folder without index.html lists entries as escaped HTML or JSON", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root });
  const html = await (await h.fetch("/docs/")).text();
  assert.ok(html.includes("&#60;b&#62;&#38;&#34;x&#34;.txt"), "escaped name");
  assert.ok(!html.includes("<b>&"), "raw name leaked");
  const root = await (await h.fetch("/")).text();
  assert.ok(!root.includes(".env") && !root.includes(".git"), "dot-files listed");
  assert.ok(
    !root.includes("link-out") && !root.includes("dir-out"),
    "escaping links listed",
  );
  assert.ok(root.includes("link-in.txt"));
  const r = await h.fetch("/docs/", { headers: { accept: "application/json" } });
  assert.equal(
    r.headers.get("content-type"),
    "application/json; charset=utf-8",
  );
  const json = await r.json();
  assert.deepEqual(json.entries.map((e: { name: string }) => e.name), [
    '<b>&"x".txt',
    "a.txt",
  ]);
  assert.equal(json.entries[1].size, 1);
});

Deno.test("--no-listing refuses listings with 403", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root, listing: false });
  const r = await h.fetch("/docs/");
  assert.equal(r.status, 403);
  await r.body?.cancel();
  const idx = await h.fetch("/site/");
  assert.equal(idx.status, 200);
  await idx.body?.cancel();
});

Deno.test("dot-files are 404 unless --hidden", async () => {
  await using fx = await makeFixture();
  {
    await using h = await handlerFor({ root: fx.root });
    for (const p of ["/.env", "/.git/config", "/.git/"]) {
      const r = await h.fetch(p);
      assert.equal(r.status, 404, p);
      await r.body?.cancel();
    }
  }
  await using h = await handlerFor({ root: fx.root, hidden: true });
  assert.equal(
    (await (await h.fetch("/.env")).text()).startsWith("SECRET="),
    true,
  );
});

Deno.test("--cors, --cache-control, --spa and a custom 404.html", async () => {
  await using fx = await makeFixture();
  {
    await using h = await handlerFor({
      root: fx.root,
      cors: true,
      cacheControl: "max-age=60",
    });
    const r = await h.fetch("/hello.txt");
    assert.equal(r.headers.get("access-control-allow-origin"), "*");
    assert.equal(r.headers.get("cache-control"), "max-age=60");
    await r.body?.cancel();
    const pre = await h.fetch("/hello.txt", { method: "OPTIONS" });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-methods"), "GET, HEAD");
  }
  await Deno.writeTextFile(`${fx.root}/index.html`, "spa shell");
  {
    await using h = await handlerFor({ root: fx.root, spa: true });
    const r = await h.fetch("/app/route/42");
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "spa shell");
    const hidden = await h.fetch("/.env");
    assert.equal(hidden.status, 404);
    await hidden.body?.cancel();
  }
  await Deno.writeTextFile(`${fx.root}/404.html`, "custom missing page");
  await using h = await handlerFor({ root: fx.root });
  const r = await h.fetch("/nope");
  assert.equal(r.status, 404);
  assert.equal(await r.text(), "custom missing page");
});

Deno.test("with --revalidate 0 an edited small file is never served stale", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root, revalidate: 0 });
  assert.equal(await (await h.fetch("/hello.txt")).text(), "hello, world\n");
  assert.equal(await (await h.fetch("/hello.txt")).text(), "hello, world\n");
  await Deno.writeTextFile(`${fx.root}/hello.txt`, "changed, longer\n");
  assert.equal(await (await h.fetch("/hello.txt")).text(), "changed, longer\n");
  await Deno.remove(`${fx.root}/hello.txt`);
  const gone = await h.fetch("/hello.txt");
  assert.equal(gone.status, 404);
  await gone.body?.cancel();
});

Deno.test("by default an edited hot file is served fresh within the revalidate window", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root, revalidate: 200 });
  for (let i = 0; i < 3; i++) await (await h.fetch("/hello.txt")).text(); // hot now
  await Deno.writeTextFile(`${fx.root}/hello.txt`, "edited\n");
  // The window itself is timed in tests/http_hot_path_test.ts, on a virtual clock.
  let body = "";
  for (let i = 0; i < 100_000 && body !== "edited\n"; i++) {
    body = await (await h.fetch("/hello.txt")).text();
  }
  assert.equal(body, "edited\n");
});
