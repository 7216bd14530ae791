// Pure parts of the browser-facing HTTP layer: upload ranges (offsets past
// 2^32), zip records, archive member names, credentials, origin checks, the
// listing page's sorting and escaping, and the start-up refusals of the flags.

import assert from "node:assert/strict";
import { parseContentRange, parseLength, parsePatchHeaders } from "../http/upload_range.ts";
import {
  centralHeader,
  dataDescriptor,
  dosDateTime,
  endRecords,
  localHeader,
  needsZip64,
} from "../http/zip.ts";
import { safeArchiveName } from "../http/archive_name.ts";
import { decodeBase64, parseAuthorization } from "../http/credentials.ts";
import { sameOrigin } from "../http/writes.ts";
import { renderPage, sortListing, sortOf } from "../http/listing_page.ts";
import type { ListingEntry } from "../http/listing.ts";
import { parseHttpArgs } from "../http/cli.ts";
import { UsageError } from "../core/cli/cli_args.ts";

const G4 = 2 ** 32;

Deno.test("Content-Range: slices, probes, and everything malformed or impossible", () => {
  assert.deepEqual(parseContentRange("bytes 0-99/1000"), {
    kind: "slice",
    start: 0,
    length: 100,
    total: 1000,
  });
  assert.deepEqual(parseContentRange(`bytes ${G4}-${G4 + 9}/${G4 + 10}`), {
    kind: "slice",
    start: G4,
    length: 10,
    total: G4 + 10,
  });
  assert.deepEqual(parseContentRange("bytes */5000000000"), {
    kind: "probe",
    total: 5_000_000_000,
  });
  for (
    const bad of [
      "",
      "bytes",
      "bytes 5-4/10",
      "bytes 0-10/10",
      "bytes -1-3/10",
      "bytes 0-3/*",
      "items 0-3/10",
      "bytes 0x1-3/10",
      "bytes 1e3-2000/3000",
      "bytes 0-3/99999999999999999",
      "bytes 0-3/10, 4-5/10",
      "bytes 0 - 3/10",
    ]
  ) assert.equal(parseContentRange(bad), null, bad);
});

Deno.test("PATCH headers and Content-Length", () => {
  assert.deepEqual(parsePatchHeaders(String(G4), String(G4 * 2), String(G4)), {
    kind: "slice",
    start: G4,
    length: G4,
    total: G4 * 2,
  });
  assert.deepEqual(parsePatchHeaders("10", "100", null), {
    kind: "slice",
    start: 10,
    length: 90,
    total: 100,
  });
  assert.deepEqual(parsePatchHeaders("10", "100", "0"), { kind: "probe", total: 100 });
  assert.equal(parsePatchHeaders("10", "100", "91"), null);
  assert.equal(parsePatchHeaders("101", "100", null), null);
  assert.equal(parsePatchHeaders(null, "100", "1"), null);
  assert.equal(parsePatchHeaders("-1", "100", "1"), null);
  assert.equal(parseLength(null), null);
  assert.equal(parseLength("5000000000"), 5_000_000_000);
  assert.ok(Number.isNaN(parseLength("12abc")!));
  assert.ok(Number.isNaN(parseLength("-1")!));
});

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

Deno.test("zip records: classic below 4 GiB, ZIP64 fields past it", () => {
  const name = new TextEncoder().encode("a/b.bin");
  assert.ok(!needsZip64(G4 - 2) && needsZip64(G4 - 1) && needsZip64(G4 + 1));
  const small = localHeader(name, [0, 0], false, false);
  assert.equal(small.length, 30 + name.length);
  assert.equal(view(small).getUint16(6, true), 0x0808, "data descriptor and UTF-8 flags");
  const big = localHeader(name, [0, 0], false, true);
  assert.equal(view(big).getUint32(22, true), 0xffffffff);
  assert.equal(view(big).getUint16(30 + name.length, true), 1, "ZIP64 extra tag");
  const dd = view(dataDescriptor(0xdeadbeef, G4 + 5, true));
  assert.deepEqual([dd.getUint32(4, true), dd.getBigUint64(8, true)], [0xdeadbeef, BigInt(G4 + 5)]);
  assert.equal(dataDescriptor(1, 10, false).length, 16);
  const rec = { name, crc: 7, dos: [1, 2] as [number, number], dir: false, mode: 0o640 };
  const c = centralHeader({ ...rec, size: G4 * 3 + 1, offset: G4 * 5 + 7 });
  const cv = view(c);
  assert.equal(cv.getUint32(20, true), 0xffffffff);
  assert.equal(cv.getUint32(42, true), 0xffffffff);
  assert.equal(cv.getUint16(30, true), 4 + 24);
  const x = 46 + name.length;
  assert.equal(cv.getUint16(x, true), 1);
  assert.equal(cv.getBigUint64(x + 4, true), BigInt(G4 * 3 + 1));
  assert.equal(cv.getBigUint64(x + 12, true), BigInt(G4 * 3 + 1));
  assert.equal(cv.getBigUint64(x + 20, true), BigInt(G4 * 5 + 7));
  assert.deepEqual(cv.getUint32(38, true) >>> 16, 0o100640, "unix mode");
  const offOnly = view(centralHeader({ ...rec, size: 10, offset: G4 }));
  assert.deepEqual([offOnly.getUint32(20, true), offOnly.getUint16(30, true)], [10, 12]);
  const plain = centralHeader({ ...rec, size: 10, offset: 99 });
  assert.equal(plain.length, 46 + name.length);
});

Deno.test("zip end records: ZIP64 end record and locator only when needed", () => {
  assert.equal(endRecords(3, 100, 1000).length, 22);
  const e = endRecords(70_000, 100, G4 + 10);
  assert.equal(e.length, 76 + 22);
  const v = view(e);
  assert.equal(v.getUint32(0, true), 0x06064b50);
  assert.equal(v.getBigUint64(24, true), 70_000n);
  assert.equal(v.getBigUint64(48, true), BigInt(G4 + 10));
  assert.equal(v.getUint32(56, true), 0x07064b50);
  assert.equal(v.getBigUint64(64, true), BigInt(G4 + 110), "where the ZIP64 end record is");
  assert.equal(v.getUint16(76 + 8, true), 0xffff);
  assert.equal(v.getUint32(76 + 16, true), 0xffffffff);
  assert.deepEqual(dosDateTime(0), dosDateTime(Date.UTC(1980, 0, 1)), "clamped to 1980");
  const [t, d] = dosDateTime(Date.UTC(2024, 1, 29, 13, 45, 58));
  assert.deepEqual([t >> 11, (t >> 5) & 63, (t & 31) * 2], [13, 45, 58]);
  assert.deepEqual([(d >> 9) + 1980, (d >> 5) & 15, d & 31], [2024, 2, 29]);
});

Deno.test("safeArchiveName(): no \\, drive letters, .. or absolute paths survive", () => {
  const cases: [string, string][] = [
    ["docs/a.txt", "docs/a.txt"],
    ["é/日本語 ファイル.txt", "é/日本語 ファイル.txt"],
    ["a..b/c.d", "a..b/c.d"],
    ["12:30.log", "12:30.log"],
    ["/etc/passwd", "etc/passwd"],
    ["//x//y/", "x/y"],
    ["./a/./b", "a/b"],
    ["../../evil.txt", "__/__/evil.txt"],
    ["a/../../b", "a/__/__/b"],
    ["x\\..\\..\\evil.txt", "x_.._.._evil.txt"],
    ["C:\\Windows\\evil.txt", "C__Windows_evil.txt"],
    ["C:/evil.txt", "C_/evil.txt"],
    ["d/c:x.txt", "d/c_x.txt"],
    ["...", "___"],
    [".. ", "___"],
    ["a\nb\u001b[31m.txt", "a_b_[31m.txt"],
    ["\u0085x", "_x"],
    ["", "_"],
    ["/", "_"],
    [".", "_"],
  ];
  for (const [name, safe] of cases) assert.equal(safeArchiveName(name), safe, JSON.stringify(name));
  for (const [name] of cases) {
    const s = safeArchiveName(name);
    assert.ok(!s.includes("\\") && !s.startsWith("/") && !/^[A-Za-z]:/.test(s), s);
    assert.ok(!s.split("/").some((seg) => seg === ".." || seg === "." || seg === ""), s);
    // deno-lint-ignore no-control-regex
    assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(s), s);
    assert.equal(safeArchiveName(s), s, "safe names are kept as they are");
  }
});

Deno.test("credentials: Basic and Bearer parsed, malformed headers refused", () => {
  const pw = (h: string) => {
    const o = parseAuthorization(h);
    return o?.kind === "password" ? `${o.user}|${new TextDecoder().decode(o.password)}` : null;
  };
  assert.equal(pw(`Basic ${btoa("alice:s3:cret")}`), "alice|s3:cret");
  assert.equal(pw(`basic   ${btoa("alice:s3:cret")}`), "alice|s3:cret");
  const bearer = parseAuthorization("Bearer tok");
  assert.ok(bearer?.kind === "token" && new TextDecoder().decode(bearer.token) === "tok");
  for (
    const bad of [
      "",
      "Basic",
      `Basic ${btoa("alice:s3:cret")}x`,
      "Basic !!!!",
      `Basic ${btoa(":nouser")}`,
      `Basic ${btoa("nocolon")}`,
      "Bearer",
      `Digest ${btoa("alice:s3:cret")}`,
      "Basic " + "A".repeat(10_000),
    ]
  ) assert.equal(parseAuthorization(bad), null, bad);
  assert.equal(decodeBase64("abc"), null);
});

Deno.test("origin check: only the server's own origin may write", () => {
  const url = "http://127.0.0.1:8000/x";
  assert.ok(sameOrigin(null, url));
  assert.ok(sameOrigin("http://127.0.0.1:8000", url));
  assert.ok(!sameOrigin("http://127.0.0.1:8001", url));
  assert.ok(!sameOrigin("https://127.0.0.1:8000", url));
  assert.ok(!sameOrigin("null", url));
  assert.ok(!sameOrigin("http://127.0.0.1:8000.evil.example", url));
});

const ENTRIES: ListingEntry[] = [
  { name: "b.txt", dir: false, size: 10, mtimeMs: 3000 },
  { name: "a.txt", dir: false, size: 30, mtimeMs: 1000 },
  { name: "z", dir: true, size: 0, mtimeMs: 5000 },
  { name: "c.txt", dir: false, size: 20, mtimeMs: 2000 },
  { name: "<img src=x onerror=alert(1)>.txt", dir: false, size: 1, mtimeMs: 0 },
];

Deno.test("listing page: sorting by query, folders first", () => {
  const names = (key: "name" | "size" | "date", desc: boolean) =>
    sortListing(ENTRIES, key, desc).map((e) => e.name[0]);
  assert.deepEqual(names("name", false), ["z", "<", "a", "b", "c"]);
  assert.deepEqual(names("size", true), ["z", "a", "c", "b", "<"]);
  assert.deepEqual(names("date", false), ["z", "<", "a", "c", "b"]);
  assert.deepEqual(sortOf("?sort=size&order=desc"), { key: "size", desc: true });
  assert.deepEqual(sortOf("?sort=evil&order=up"), { key: "name", desc: false });
});

Deno.test("listing page: names escaped, nonce CSP, no external resources, upload box only with --upload", () => {
  const o = { search: "", upload: false, auth: { basic: true, token: false }, archives: true };
  const html = renderPage('/<x>"/', ENTRIES, o);
  assert.ok(!html.includes("<img"), "raw tag");
  assert.ok(html.includes("&#60;img src=x onerror=alert(1)&#62;.txt"));
  assert.ok(html.includes('href="./%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.txt"'));
  assert.ok(html.includes("Index of /&#60;x&#62;&#34;/"));
  assert.ok(!/(src|href)="(https?:)?\/\//.test(html), "no external resource");
  assert.ok(!html.includes("<script"), "no script without --upload");
  assert.ok(!html.includes('id="up"'));
  const nonce = /'nonce-([^']+)'/.exec(html)![1];
  const up = renderPage("/", ENTRIES, { ...o, upload: true });
  assert.ok(up.includes('id="up"') && up.includes('id="user"') && !up.includes('id="token"'));
  const n2 = /'nonce-([^']+)'/.exec(up)![1];
  assert.ok(nonce !== n2, "a fresh nonce per page");
  assert.ok(up.includes(`<script nonce="${n2}">`));
  assert.ok(
    !/<[^>]* on[a-z]+=/.test(up.replace(/<script[\s\S]*<\/script>/, "")),
    "no inline handlers",
  );
});

Deno.test("flags: writes need credentials; credentials need TLS or loopback", () => {
  const usage = (args: string[]) => assert.throws(() => parseHttpArgs(args), UsageError);
  usage(["--root", ".", "--upload"]);
  usage(["--root", ".", "--delete", "--mkdir"]);
  usage(["--root", ".", "--auth-read"]);
  usage(["--root", ".", "--upload", "--auth", "nocolon"]);
  usage(["--root", ".", "--upload", "--auth", "a:b", "--host", "0.0.0.0"]);
  usage(["--root", ".", "--upload", "--token", "t", "--host", "192.168.1.5"]);
  usage(["--root", ".", "--upload", "--token", "t", "--max-upload", "lots"]);
  const o = parseHttpArgs([
    "--root",
    ".",
    "--upload",
    "--auth",
    "a:b",
    "--host",
    "0.0.0.0",
    "--insecure-auth",
    "--max-upload",
    "5G",
  ]);
  assert.deepEqual([o.upload, o.auth, o.maxUpload], [true, "a:b", 5 * 2 ** 30]);
  const tls = parseHttpArgs([
    "--root",
    ".",
    "--upload",
    "--token",
    "t",
    "--host",
    "0.0.0.0",
    "--cert",
    "c",
    "--key",
    "k",
  ]);
  assert.equal(tls.token, "t");
  assert.equal(parseHttpArgs(["--root", "."]).upload, false);
});
