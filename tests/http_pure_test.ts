// Pure policy of `netkit http`, tested without sockets: ranges, validators,
// URL path decoding, encoding negotiation, listings, the log (content types:
// http_content_type_test.ts).
import assert from "node:assert/strict";
import { parseRange, planMultipart } from "../http/range.ts";
import { evaluate, fileEtag, ifRangeAllows } from "../http/conditional.ts";
import { decodePath, parseUrlPath, rawPathOf } from "../http/url_path.ts";
import { negotiateEncoding } from "../http/compress.ts";
import { escapeHtml, renderHtml, renderJson, wantsJson } from "../http/listing.ts";
import { AccessLog, formatCombined } from "../http/access_log.ts";
import { escapeField } from "../core/ops/log_format.ts";
import { safeLocation } from "../http/static.ts";

Deno.test("parseRange() reads a-b, a- and -n and clamps to the size", () => {
  assert.deepEqual(parseRange("bytes=0-9", 100), {
    kind: "ranges",
    ranges: [{ start: 0, end: 9 }],
  });
  assert.deepEqual(parseRange("bytes=90-", 100), {
    kind: "ranges",
    ranges: [{ start: 90, end: 99 }],
  });
  assert.deepEqual(parseRange("bytes=-10", 100), {
    kind: "ranges",
    ranges: [{ start: 90, end: 99 }],
  });
  assert.deepEqual(parseRange("bytes=-500", 100), {
    kind: "ranges",
    ranges: [{ start: 0, end: 99 }],
  });
  assert.deepEqual(parseRange("bytes=50-5000", 100), {
    kind: "ranges",
    ranges: [{ start: 50, end: 99 }],
  });
  assert.deepEqual(parseRange("BYTES = 1-2 , 4-5", 100), {
    kind: "ranges",
    ranges: [{ start: 1, end: 2 }, { start: 4, end: 5 }],
  });
});

Deno.test("parseRange() says unsatisfiable only for well-formed ranges past the end", () => {
  assert.deepEqual(parseRange("bytes=100-", 100), { kind: "unsatisfiable" });
  assert.deepEqual(parseRange("bytes=100-200,300-400", 100), {
    kind: "unsatisfiable",
  });
  assert.deepEqual(parseRange("bytes=-0", 100), { kind: "unsatisfiable" });
  assert.deepEqual(parseRange("bytes=0-", 0), { kind: "unsatisfiable" });
});

Deno.test("parseRange() ignores garbage, other units, overlaps and too many ranges", () => {
  for (
    const h of [
      "bytes=",
      "bytes=-",
      "bytes=5-1",
      "bytes=a-b",
      "bytes=1-2-3",
      "items=0-1",
      "bytes 0-1",
      "bytes=0x10-20",
      "bytes=99999999999999999999-",
      "bytes=0-10,5-20",
      "bytes=" +
      Array.from({ length: 33 }, (_, i) => `${i * 2}-${i * 2}`).join(","),
    ]
  ) assert.deepEqual(parseRange(h, 100), { kind: "none" }, h);
  assert.deepEqual(parseRange(null, 100), { kind: "none" });
});

Deno.test("planMultipart() computes the exact body length", () => {
  const ranges = [{ start: 0, end: 1 }, { start: 10, end: 19 }];
  const plan = planMultipart(ranges, 100, "text/plain", "XYZ");
  const expected = plan.heads[0].length + 2 + plan.heads[1].length + 10 +
    plan.tail.length;
  assert.equal(plan.length, expected);
  assert.equal(plan.contentType, "multipart/byteranges; boundary=XYZ");
  assert.equal(new TextDecoder().decode(plan.tail), "\r\n--XYZ--\r\n");
});

Deno.test("evaluate() follows RFC 9110 precedence", () => {
  const v = {
    etag: fileEtag(10, 1_700_000_000_000, 7),
    mtimeSec: 1_700_000_000,
  };
  const h = (o: Record<string, string>) => (n: string) => o[n] ?? null;
  const after = new Date(1_700_000_100_000).toUTCString();
  const before = new Date(1_699_999_000_000).toUTCString();
  assert.equal(evaluate(h({ "if-none-match": v.etag }), v), "not-modified");
  assert.equal(
    evaluate(h({ "if-none-match": `"other", W/${v.etag}` }), v),
    "not-modified",
  );
  assert.equal(evaluate(h({ "if-none-match": "*" }), v), "not-modified");
  assert.equal(
    evaluate(h({ "if-none-match": '"other"', "if-modified-since": after }), v),
    "proceed",
  );
  assert.equal(evaluate(h({ "if-modified-since": after }), v), "not-modified");
  assert.equal(evaluate(h({ "if-modified-since": before }), v), "proceed");
  assert.equal(evaluate(h({ "if-modified-since": "garbage" }), v), "proceed");
  assert.equal(evaluate(h({ "if-match": '"other"' }), v), "failed");
  assert.equal(evaluate(h({ "if-match": `W/${v.etag}` }), v), "failed"); // weak never matches If-Match
  assert.equal(evaluate(h({ "if-match": v.etag }), v), "proceed");
  assert.equal(evaluate(h({ "if-unmodified-since": before }), v), "failed");
  assert.equal(
    evaluate(h({ "if-match": v.etag, "if-unmodified-since": before }), v),
    "proceed",
  );
});

Deno.test("ifRangeAllows() needs a strong exact ETag or the exact date", () => {
  const v = { etag: '"abc"', mtimeSec: 1_700_000_000 };
  assert.ok(ifRangeAllows(null, v));
  assert.ok(ifRangeAllows('"abc"', v));
  assert.ok(!ifRangeAllows('W/"abc"', v));
  assert.ok(!ifRangeAllows('"old"', v));
  assert.ok(ifRangeAllows(new Date(1_700_000_000_000).toUTCString(), v));
  assert.ok(!ifRangeAllows(new Date(1_600_000_000_000).toUTCString(), v));
});

Deno.test("decodePath() decodes exactly once and demands strict UTF-8", () => {
  assert.equal(decodePath("/a%20b"), "/a b");
  assert.equal(decodePath("/%252e%252e"), "/%2e%2e"); // double encoding stays literal
  assert.equal(decodePath("/caf%C3%A9"), "/café");
  for (
    const bad of [
      "/%",
      "/%2",
      "/%zz",
      "/%C0%AE",
      "/%C0%AF",
      "/%E0%80%AE",
      "/%ED%A0%80",
      "/%FF",
      "/%C3",
    ]
  ) {
    assert.throws(() => decodePath(bad), Error, bad);
  }
});

Deno.test("parseUrlPath() refuses every traversal form", () => {
  for (
    const bad of [
      "/..",
      "/../etc/passwd",
      "/%2e%2e/etc/passwd",
      "/%2E%2E%2Fetc%2Fpasswd",
      "/a/%2e%2e/%2e%2e/x",
      "/..%2f..%2fetc",
      "/..%5c..%5cetc",
      "/a\\b",
      "/a%5cb",
      "/a%00b",
      "/a%0ab",
      "//etc/passwd",
      "/%2fetc/passwd",
      "/a//b",
      "/./a",
      "/%2e/a",
      "/C:/x",
      "/%C0%AE%C0%AE/x",
      "relative",
      "",
    ]
  ) assert.throws(() => parseUrlPath(bad), Error, bad);
});

Deno.test("parseUrlPath() accepts ordinary paths and flags hidden ones", () => {
  assert.deepEqual(parseUrlPath("/"), { segments: [], slash: true, hidden: false });
  assert.deepEqual(parseUrlPath("/a/b.txt"), {
    segments: ["a", "b.txt"],
    slash: false,
    hidden: false,
  });
  assert.deepEqual(parseUrlPath("/a/"), {
    segments: ["a"],
    slash: true,
    hidden: false,
  });
  // Double encoding decodes once to a literal "%2e%2e", which the jail refuses too.
  assert.throws(() => parseUrlPath("/%252e%252e"), Error);
  assert.equal(parseUrlPath("/x/.git/config").hidden, true);
  assert.equal(rawPathOf("http://h:1/a/%2e%2e/b?x=/..#f"), "/a/%2e%2e/b");
  assert.equal(rawPathOf("http://h:1"), "/");
});

Deno.test("safeLocation() never yields a protocol-relative URL", () => {
  for (const l of ["//evil.example/", "///evil", "/\\evil", "\\\\evil"]) {
    const s = safeLocation(l);
    assert.ok(s.startsWith("/") && !s.startsWith("//") && !s.startsWith("/\\"), s);
  }
  assert.equal(safeLocation("/docs/"), "/docs/");
});

Deno.test("negotiateEncoding() reads q-values and prefers br on a tie", () => {
  assert.equal(negotiateEncoding("gzip, deflate, br"), "br");
  assert.equal(negotiateEncoding("gzip"), "gzip");
  assert.equal(negotiateEncoding("br;q=0.5, gzip;q=0.8"), "gzip");
  assert.equal(negotiateEncoding("br;q=0, gzip;q=0"), null);
  assert.equal(negotiateEncoding("identity"), null);
  assert.equal(negotiateEncoding("*"), "br");
  assert.equal(negotiateEncoding("*;q=0"), null);
  assert.equal(negotiateEncoding(null), null);
});

Deno.test("listings escape every name and link relatively", () => {
  const entries = [
    { name: `<script>alert("x")</script>`, dir: false, size: 10, mtimeMs: 0 },
    { name: "javascript:alert(1)", dir: false, size: 1, mtimeMs: null },
    { name: "sub dir", dir: true, size: 0, mtimeMs: 0 },
  ];
  const html = renderHtml("/<x>/", entries);
  assert.ok(!html.includes("<script>"), "raw script tag in listing");
  assert.ok(html.includes("&#60;script&#62;"));
  assert.ok(html.includes('href="./javascript%3Aalert(1)"'));
  assert.ok(
    html.indexOf("sub dir/") < html.indexOf("javascript"),
    "folders first",
  );
  assert.ok(html.includes("Index of /&#60;x&#62;/"));
  const json = JSON.parse(renderJson("/", entries));
  assert.deepEqual(json.entries[0], {
    name: "sub dir",
    type: "dir",
    size: 0,
    mtime: "1970-01-01T00:00:00.000Z",
  });
  assert.equal(escapeHtml(`&<>"'`), "&#38;&#60;&#62;&#34;&#39;");
  assert.ok(wantsJson("application/json"));
  assert.ok(!wantsJson("text/html,application/json;q=0.9"));
  assert.ok(!wantsJson(null));
});

Deno.test("formatCombined() writes a Combined Log Format line with escaped fields", () => {
  const line = formatCombined(
    "127.0.0.1",
    Date.UTC(2026, 10, 26, 15, 0, 1),
    "GET",
    '/a"b',
    200,
    12,
    null,
    "curl/8\n",
  );
  assert.equal(
    line,
    '127.0.0.1 - - [26/Nov/2026:15:00:01 +0000] "GET /a\\x22b HTTP/1.1" 200 12 "-" "curl/8\\x0a"',
  );
  assert.equal(escapeField("é"), "\\xe9");
});

Deno.test("AccessLog.flush waits for a write under way, and for lines queued behind it", async () => {
  const written: string[] = [];
  const waiting: (() => void)[] = [];
  let called = Promise.withResolvers<void>();
  // A writer that holds each write until the test lets it go.
  const slow = {
    write(p: Uint8Array): Promise<number> {
      return new Promise((resolve) => {
        waiting.push(() => {
          written.push(new TextDecoder().decode(p));
          resolve(p.length);
        });
        called.resolve();
      });
    },
  };
  const log = new AccessLog(slow);
  log.log("first");
  const under = log.flush();
  await called.promise; // the first write is under way, held
  called = Promise.withResolvers();
  log.log("second"); // queued behind it
  let done = false;
  const last = log.flush().then(() => done = true);
  waiting.shift()!();
  await called.promise; // the second line is being written
  assert.equal(done, false, "flush resolved before the queued line was written");
  waiting.shift()!();
  await Promise.all([under, last]);
  assert.deepEqual(written, ["first\n", "second\n"]);
});
