// Range requests, checked byte for byte: single ranges, suffixes, 416,
// If-Range, multipart/byteranges. Through the handler (`Request -> Response`,
// no socket) except two tests on a real server: "curl --range" (curl as the
// peer) and multipart/byteranges, read raw off the wire, where a streamed
// body must be framed by its Content-Length (Deno.serve's part of the job).
import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { curl, makeFixture, pattern, rawRequest, serve } from "./http_helpers.ts";
import { handlerFor } from "./http_handler_helpers.ts";

const DATA = pattern(10_000); // root/data.bin

Deno.test("bytes=a-b, a- and -n give 206 with the exact bytes and Content-Range", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root });
  const cases: [string, number, number][] = [
    ["bytes=0-0", 0, 0],
    ["bytes=100-299", 100, 299],
    ["bytes=9990-", 9990, 9999],
    ["bytes=-7", 9993, 9999],
    ["bytes=5000-999999", 5000, 9999],
  ];
  for (const [range, start, end] of cases) {
    const r = await h.fetch("/data.bin", { headers: { range } });
    assert.equal(r.status, 206, range);
    assert.equal(
      r.headers.get("content-range"),
      `bytes ${start}-${end}/10000`,
      range,
    );
    assert.equal(
      r.headers.get("content-length"),
      String(end - start + 1),
      range,
    );
    assertSameBytes(await r.bytes(), DATA.subarray(start, end + 1), range);
  }
});

Deno.test("curl --range gets exactly the requested bytes", async () => {
  await using fx = await makeFixture();
  await using s = await serve({ root: fx.root });
  const out = await curl(["--range", "1234-5677", s.url + "data.bin"]);
  assert.equal(out.code, 0, out.stderr);
  assertSameBytes(out.stdout, DATA.subarray(1234, 5678), "curl range");
  const head = await curl(["-I", "--range", "0-9", s.url + "data.bin"]);
  assert.ok(head.text.startsWith("HTTP/1.1 206"), head.text);
  assert.ok(/content-range: bytes 0-9\/10000/i.test(head.text), head.text);
});

Deno.test("an unsatisfiable range gives 416 with bytes */SIZE", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root });
  for (const range of ["bytes=10000-", "bytes=20000-30000", "bytes=-0"]) {
    const r = await h.fetch("/data.bin", { headers: { range } });
    assert.equal(r.status, 416, range);
    assert.equal(r.headers.get("content-range"), "bytes */10000", range);
    await r.body?.cancel();
  }
});

Deno.test("a malformed Range is ignored and the whole file is sent", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root });
  for (
    const range of ["bytes=x-y", "lines=1-2", "bytes=5-1", "bytes=0-10,5-20"]
  ) {
    const r = await h.fetch("/data.bin", { headers: { range } });
    assert.equal(r.status, 200, range);
    assert.equal((await r.bytes()).length, 10_000, range);
  }
});

Deno.test("If-Range with the current ETag or date honours the range, else 200", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root });
  const probe = await h.fetch("/data.bin", { method: "HEAD" });
  const etag = probe.headers.get("etag")!;
  const lm = probe.headers.get("last-modified")!;
  for (const ifRange of [etag, lm]) {
    const r = await h.fetch("/data.bin", {
      headers: { range: "bytes=0-9", "if-range": ifRange },
    });
    assert.equal(r.status, 206, ifRange);
    assertSameBytes(await r.bytes(), DATA.subarray(0, 10));
  }
  for (
    const ifRange of ['"stale"', "Mon, 01 Jan 2001 00:00:00 GMT", `W/${etag}`]
  ) {
    const r = await h.fetch("/data.bin", {
      headers: { range: "bytes=0-9", "if-range": ifRange },
    });
    assert.equal(r.status, 200, ifRange);
    assert.equal((await r.bytes()).length, 10_000);
  }
});

Deno.test("several ranges give multipart/byteranges with exact parts", async () => {
  await using fx = await makeFixture();
  await using s = await serve({ root: fx.root });
  const r = await rawRequest(
    s.addr.port,
    "/data.bin",
    "GET",
    "Range: bytes=0-9, 500-599, -5\r\n",
  );
  assert.equal(r.status, 206);
  const type = r.headers.get("content-type")!;
  const m = /^multipart\/byteranges; boundary=([0-9a-f]+)$/.exec(type);
  assert.ok(m, type);
  assert.equal(r.headers.get("transfer-encoding"), undefined, "framed by its length");
  assert.equal(Number(r.headers.get("content-length")), r.body.length);
  const text = new TextDecoder("latin1").decode(r.body);
  const parts = text.split(`--${m[1]}`);
  assert.equal(parts.length, 5); // "", 3 parts, "--\r\n"
  assert.equal(parts[4], "--\r\n");
  const want: [number, number][] = [[0, 9], [500, 599], [9995, 9999]];
  want.forEach(([a, b], i) => {
    const part = parts[i + 1];
    const split = part.indexOf("\r\n\r\n");
    const head = part.slice(0, split);
    assert.ok(head.includes("Content-Type: application/octet-stream"), head);
    assert.ok(head.includes(`Content-Range: bytes ${a}-${b}/10000`), head);
    const body = part.slice(split + 4, i < 2 ? -2 : -2); // each part ends with CRLF before the next delimiter
    const bytes = Uint8Array.from(body, (c) => c.charCodeAt(0));
    assertSameBytes(bytes, DATA.subarray(a, b + 1), `part ${i}`);
  });
  const head = await rawRequest(
    s.addr.port,
    "/data.bin",
    "HEAD",
    "Range: bytes=0-9,20-29\r\n",
  );
  assert.equal(head.status, 206);
  assert.equal(head.body.length, 0);
});

Deno.test("ranges are never compressed", async () => {
  await using fx = await makeFixture();
  await using h = await handlerFor({ root: fx.root });
  const r = await h.fetch("/page.html", {
    headers: { range: "bytes=0-13", "accept-encoding": "gzip, br" },
  });
  assert.equal(r.status, 206);
  assert.equal(r.headers.get("content-encoding"), null);
  assert.equal(await r.text(), "<h1>page</h1>\n");
});
