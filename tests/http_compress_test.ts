// Compression decided by netkit: br and gzip by Accept-Encoding with Vary,
// precompressed siblings, already-compressed types left alone, large files
// compressed in a Worker off the request path, and never Deno's own.
import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { makeFixture, rawRequest, serve } from "./http_helpers.ts";

const PAGE = "<h1>page</h1>\n".repeat(50);

function header(r: { headers: Map<string, string> }, name: string) {
  return r.headers.get(name) ?? null;
}

Deno.test("br and gzip are chosen by Accept-Encoding, with Vary and a distinct ETag", async () => {
  await using fx = await makeFixture();
  await using s = await serve({ root: fx.root });
  // The very first request of a small file is already compressed.
  const br = await rawRequest(
    s.addr.port,
    "/page.html",
    "GET",
    "Accept-Encoding: gzip, br\r\n",
  );
  assert.equal(header(br, "content-encoding"), "br");
  assert.equal(header(br, "vary"), "Accept-Encoding");
  assert.equal(Number(header(br, "content-length")), br.body.length);
  assert.equal(new TextDecoder().decode(brotliDecompressSync(br.body)), PAGE);
  assert.ok(br.body.length < PAGE.length / 5, "brotli shrank the page");
  const gz = await rawRequest(
    s.addr.port,
    "/page.html",
    "GET",
    "Accept-Encoding: gzip\r\n",
  );
  assert.equal(header(gz, "content-encoding"), "gzip");
  assert.equal(new TextDecoder().decode(gunzipSync(gz.body)), PAGE);
  const plain = await rawRequest(s.addr.port, "/page.html");
  assert.equal(header(plain, "content-encoding"), null);
  assert.equal(header(plain, "vary"), "Accept-Encoding");
  const etags = new Set([
    header(plain, "etag"),
    header(br, "etag"),
    header(gz, "etag"),
  ]);
  assert.equal(etags.size, 3);
  const again = await rawRequest(
    s.addr.port,
    "/page.html",
    "GET",
    `Accept-Encoding: br\r\nIf-None-Match: ${header(br, "etag")}\r\n`,
  );
  assert.equal(again.status, 304);
  const none = await rawRequest(
    s.addr.port,
    "/page.html",
    "GET",
    "Accept-Encoding: identity\r\n",
  );
  assert.equal(header(none, "content-encoding"), null);
});

Deno.test("already-compressed types and --no-compress are sent as they are", async () => {
  await using fx = await makeFixture();
  {
    await using s = await serve({ root: fx.root });
    for (let i = 0; i < 2; i++) {
      const r = await rawRequest(
        s.addr.port,
        "/pic.png",
        "GET",
        "Accept-Encoding: gzip, br\r\n",
      );
      assert.equal(header(r, "content-encoding"), null);
      assert.equal(header(r, "vary"), null);
      assert.equal(r.body.length, 4096);
    }
  }
  await using s = await serve({ root: fx.root, compress: false });
  for (let i = 0; i < 2; i++) {
    const r = await rawRequest(
      s.addr.port,
      "/page.html",
      "GET",
      "Accept-Encoding: gzip, br\r\n",
    );
    assert.equal(header(r, "content-encoding"), null);
    assert.equal(r.body.length, PAGE.length);
  }
});

Deno.test("a precompressed sibling file.gz is served when present", async () => {
  await using fx = await makeFixture();
  const css = "body { color: red }\n".repeat(100);
  await Deno.writeTextFile(`${fx.root}/app.css`, css);
  const gz = gzipSync(new TextEncoder().encode(css), { level: 9 });
  await Deno.writeFile(`${fx.root}/app.css.gz`, gz);
  await using s = await serve({ root: fx.root });
  const r = await rawRequest(
    s.addr.port,
    "/app.css",
    "GET",
    "Accept-Encoding: gzip\r\n",
  );
  assert.equal(header(r, "content-encoding"), "gzip");
  assert.equal(header(r, "content-type"), "text/css; charset=utf-8");
  assert.equal(r.body.length, gz.length); // the very bytes of app.css.gz
  assert.equal(new TextDecoder().decode(gunzipSync(r.body)), css);
});

Deno.test("a large text file is compressed in a Worker and served identity meanwhile", async () => {
  await using fx = await makeFixture();
  const line = "a line of a large log file, repeated many times over\n";
  const big = line.repeat(Math.ceil(3 * 1024 * 1024 / line.length)); // ~3 MiB, past the memory cache
  await Deno.writeTextFile(`${fx.root}/big.log`, big);
  await using s = await serve({ root: fx.root });
  const first = await rawRequest(
    s.addr.port,
    "/big.log",
    "GET",
    "Accept-Encoding: gzip\r\n",
  );
  assert.equal(first.status, 200);
  assert.equal(header(first, "content-encoding"), null); // not compressed on the request path
  assert.equal(first.body.length, big.length);
  let encoded = first;
  for (
    let i = 0;
    i < 400 && header(encoded, "content-encoding") === null;
    i++
  ) {
    encoded = await rawRequest(
      s.addr.port,
      "/big.log",
      "GET",
      "Accept-Encoding: gzip\r\n",
    );
  }
  assert.equal(header(encoded, "content-encoding"), "gzip");
  const text = new TextDecoder().decode(gunzipSync(encoded.body));
  assert.ok(text === big, `${text.length} characters back, ${big.length} sent`); // no 3 MiB diff
});

Deno.test("Deno.serve does not compress file responses on its own", async () => {
  await using fx = await makeFixture();
  await using s = await serve({ root: fx.root, compress: false });
  const r = await rawRequest(
    s.addr.port,
    "/page.html",
    "GET",
    "Accept-Encoding: gzip, br, deflate\r\n",
  );
  assert.equal(header(r, "content-encoding"), null);
  assert.equal(header(r, "content-length"), String(PAGE.length));
  assert.equal(new TextDecoder().decode(r.body), PAGE);
});
