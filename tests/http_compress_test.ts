// Compression decided by netkit: br and gzip by Accept-Encoding with Vary,
// precompressed siblings, already-compressed types left alone, large files
// compressed in a Worker off the request path, and never Deno's own.
// Through the handler (`Request -> Response`, no socket) except the last
// test, which reads a real server's answer off the wire: Deno.serve must not
// compress on its own.
import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { makeFixture, rawRequest, serve } from "./http_helpers.ts";
import { assertSameBytes } from "./same_bytes.ts";
import { handlerFor } from "./http_handler_helpers.ts";

const PAGE = "<h1>page</h1>\n".repeat(50);

/** The answer and its whole body. */
async function get(r: Promise<Response>): Promise<{ res: Response; body: Uint8Array }> {
  const res = await r;
  return { res, body: await res.bytes() };
}

Deno.test("br and gzip are chosen by Accept-Encoding, with Vary and a distinct ETag", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root });
  const page = (headers: Record<string, string> = {}) => get(h.fetch("/page.html", { headers }));
  // The very first request of a small file is already compressed.
  const br = await page({ "accept-encoding": "gzip, br" });
  assert.equal(br.res.headers.get("content-encoding"), "br");
  assert.equal(br.res.headers.get("vary"), "Accept-Encoding");
  assert.equal(Number(br.res.headers.get("content-length")), br.body.length);
  assert.equal(new TextDecoder().decode(brotliDecompressSync(br.body)), PAGE);
  assert.ok(br.body.length < PAGE.length / 5, "brotli shrank the page");
  const gz = await page({ "accept-encoding": "gzip" });
  assert.equal(gz.res.headers.get("content-encoding"), "gzip");
  assert.equal(new TextDecoder().decode(gunzipSync(gz.body)), PAGE);
  const plain = await page();
  assert.equal(plain.res.headers.get("content-encoding"), null);
  assert.equal(plain.res.headers.get("vary"), "Accept-Encoding");
  const etags = new Set([
    plain.res.headers.get("etag"),
    br.res.headers.get("etag"),
    gz.res.headers.get("etag"),
  ]);
  assert.equal(etags.size, 3);
  const again = await page({
    "accept-encoding": "br",
    "if-none-match": br.res.headers.get("etag")!,
  });
  assert.equal(again.res.status, 304);
  const none = await page({ "accept-encoding": "identity" });
  assert.equal(none.res.headers.get("content-encoding"), null);
});

Deno.test("already-compressed types and --no-compress are sent as they are", async () => {
  await using fx = await makeFixture();
  const headers = { "accept-encoding": "gzip, br" };
  {
    await using h = await handlerFor({ root: fx.root });
    for (let i = 0; i < 2; i++) {
      const r = await get(h.fetch("/pic.png", { headers }));
      assert.equal(r.res.headers.get("content-encoding"), null);
      assert.equal(r.res.headers.get("vary"), null);
      assert.equal(r.body.length, 4096);
    }
  }
  await using h = await handlerFor({ root: fx.root, compress: false });
  for (let i = 0; i < 2; i++) {
    const r = await get(h.fetch("/page.html", { headers }));
    assert.equal(r.res.headers.get("content-encoding"), null);
    assert.equal(r.body.length, PAGE.length);
  }
});

Deno.test("a precompressed sibling file.gz is served when present", async () => {
  await using fx = await makeFixture();
  const css = "body { color: red }\n".repeat(100);
  await Deno.writeTextFile(`${fx.root}/app.css`, css);
  const gz = gzipSync(new TextEncoder().encode(css), { level: 9 });
  await Deno.writeFile(`${fx.root}/app.css.gz`, gz);
  await using h = await handlerFor({ root: fx.root });
  const r = await get(h.fetch("/app.css", { headers: { "accept-encoding": "gzip" } }));
  assert.equal(r.res.headers.get("content-encoding"), "gzip");
  assert.equal(r.res.headers.get("content-type"), "text/css; charset=utf-8");
  assertSameBytes(r.body, new Uint8Array(gz)); // the very bytes of app.css.gz
  assert.equal(new TextDecoder().decode(gunzipSync(r.body)), css);
});

Deno.test("a large text file is compressed in a Worker and served identity meanwhile", async () => {
  await using fx = await makeFixture();
  const line = "a line of a large log file, repeated many times over\n";
  const big = line.repeat(Math.ceil(3 * 1024 * 1024 / line.length)); // ~3 MiB, past the memory cache
  await Deno.writeTextFile(`${fx.root}/big.log`, big);
  await using h = await handlerFor({ root: fx.root });
  const headers = { "accept-encoding": "gzip" };
  const first = await get(h.fetch("/big.log", { headers }));
  assert.equal(first.res.status, 200);
  assert.equal(first.res.headers.get("content-encoding"), null); // not compressed on the request path
  assert.equal(first.body.length, big.length);
  await h.handler.compress!.idle(); // the Worker has finished
  const encoded = await get(h.fetch("/big.log", { headers }));
  assert.equal(encoded.res.headers.get("content-encoding"), "gzip");
  assert.equal(Number(encoded.res.headers.get("content-length")), encoded.body.length);
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
  assert.equal(r.headers.get("content-encoding") ?? null, null);
  assert.equal(r.headers.get("content-length"), String(PAGE.length));
  assert.equal(new TextDecoder().decode(r.body), PAGE);
});
