// Seeded fuzzing of what an HTTP client sends to `netkit http`: ranges,
// conditional headers, URL paths, the headers of resumable uploads, chunked
// upload bodies (pure, and over a real socket), Authorization headers and
// the names archive writers store. Each checks properties: only the typed
// error, round trips, bounds, agreement with a simple model.

import assert from "node:assert/strict";
import { isNetkitError } from "../core/errors.ts";
import { acceptsName } from "../core/library/jail.ts";
import type { AtomicFile } from "../core/library/atomic_file.ts";
import { safeArchiveName } from "../http/archive_name.ts";
import { decodeBase64, parseAuthorization } from "../http/credentials.ts";
import { evaluate, ifRangeAllows, parseHttpDate, type Validators } from "../http/conditional.ts";
import { MAX_RANGES, parseRange, planMultipart } from "../http/range.ts";
import { drain } from "../http/upload.ts";
import { parseContentRange, parseLength, parsePatchHeaders } from "../http/upload_range.ts";
import { decodePath, encodeSegments, parseUrlPath, rawPathOf } from "../http/url_path.ts";
import { serve } from "./http_helpers.ts";
import { tempDir } from "./temp_dir.ts";
import { fuzz, stringOf } from "./fuzz.ts";
import type { Prng } from "./prng.ts";

const num = (rng: Prng) =>
  rng.pick([
    () => String(rng.int(2000)),
    () => "",
    () => "9".repeat(1 + rng.int(20)),
    () => " " + rng.int(50),
    () => "-" + rng.int(5),
    () => "0x1f",
  ])();

fuzz("Range: never throws; ranges in bounds, ordered as asked, few and disjoint", {
  iterations: 8_000,
  outcomes: ["none", "unsatisfiable", "ranges"],
}, (rng) => {
  const size = rng.pick([0, 1, 10, 1000, rng.int(5000)]);
  const specs = Array.from({ length: 1 + rng.int(rng.next() < 0.1 ? 40 : 4) }, () =>
    rng.pick([
      () => `${num(rng)}-${num(rng)}`,
      () => `-${num(rng)}`,
      () => `${num(rng)}-`,
      () => stringOf(rng, ["1", "-", ",", " ", "=", "a"], rng.int(6)),
    ])());
  const unit = rng.pick(["bytes", "Bytes", " bytes ", "items", ""]);
  const header = `${unit}=${specs.join(rng.pick([",", ", ", " ,"]))}`;
  const r = parseRange(header, size);
  if (r.kind !== "ranges") return r.kind;
  assert.ok(r.ranges.length >= 1 && r.ranges.length <= MAX_RANGES);
  for (const { start, end } of r.ranges) {
    assert.ok(Number.isSafeInteger(start) && Number.isSafeInteger(end));
    assert.ok(start >= 0 && start <= end && end < size, `${start}-${end} of ${size}`);
  }
  const sorted = [...r.ranges].sort((a, b) => a.start - b.start);
  sorted.forEach((x, i) => i === 0 || assert.ok(x.start > sorted[i - 1].end, "overlap"));
  // The multipart framing adds up to exactly the body it announces.
  const plan = planMultipart(r.ranges, size, "text/plain", "BOUNDARY");
  const bytes = plan.heads.reduce((n, h) => n + h.length, plan.tail.length) +
    r.ranges.reduce((n, x) => n + x.end - x.start + 1, 0);
  assert.equal(plan.length, bytes);
  return "ranges";
});

fuzz("Range: one plain range means what RFC 9110 says", { iterations: 8_000 }, (rng) => {
  const size = rng.int(3000);
  const a = rng.int(3500);
  const b = a + rng.int(3500);
  const suffix = rng.int(4000);
  const kind = rng.int(3);
  const header = kind === 0 ? `bytes=${a}-${b}` : kind === 1 ? `bytes=${a}-` : `bytes=-${suffix}`;
  const r = parseRange(header, size);
  const want = kind === 2
    ? (suffix === 0 || size === 0 ? null : { start: Math.max(0, size - suffix), end: size - 1 })
    : (a >= size ? null : { start: a, end: kind === 1 ? size - 1 : Math.min(b, size - 1) });
  assert.deepEqual(
    r,
    want === null ? { kind: "unsatisfiable" } : { kind: "ranges", ranges: [want] },
  );
});

const ETAG = '"3e8-18c2a0e4b10-2a"';

fuzz("conditional headers: never throw, and an exact match always wins", {
  iterations: 5_000,
  outcomes: ["proceed", "not-modified", "failed"],
}, (rng) => {
  const v: Validators = {
    etag: ETAG,
    mtimeSec: rng.next() < 0.1 ? null : 1_700_000_000 + rng.int(1000),
  };
  const date = (rng: Prng) =>
    rng.pick([
      () => new Date((1_700_000_000 + rng.int(1000)) * 1000).toUTCString(),
      () => stringOf(rng, ["Sun", ",", " ", "0", "1", "Nov", "GMT", "x"], rng.int(12)),
      () => "9".repeat(rng.int(80)),
    ])();
  const tags = (rng: Prng) =>
    Array.from(
      { length: 1 + rng.int(3) },
      () =>
        rng.pick([ETAG, `W/${ETAG}`, "*", '"other"', "", stringOf(rng, ['"', "W", "/", "a"], 5)]),
    )
      .join(rng.pick([",", ", "]));
  const headers: Record<string, string> = {};
  for (const h of ["if-match", "if-none-match"]) if (rng.next() < 0.4) headers[h] = tags(rng);
  for (const h of ["if-modified-since", "if-unmodified-since"]) {
    if (rng.next() < 0.4) headers[h] = date(rng);
  }
  const get = (name: string) => headers[name] ?? null;
  const result = evaluate(get, v);
  assert.ok(["proceed", "not-modified", "failed"].includes(result));
  const listed = (h: string | undefined, t: string) =>
    h?.split(",").map((x) => x.trim()).includes(t) ?? false;
  if (listed(headers["if-match"], ETAG) && listed(headers["if-none-match"], ETAG)) {
    assert.equal(result, "not-modified");
  }
  if (
    headers["if-match"] !== undefined && !listed(headers["if-match"], ETAG) &&
    !listed(headers["if-match"], "*")
  ) {
    assert.equal(result, "failed");
  }
  const ifRange = rng.next() < 0.5 ? tags(rng) : date(rng);
  const allows = ifRangeAllows(ifRange, v);
  if (ifRange.trim() === ETAG) assert.equal(allows, true);
  if (ifRange.trim().startsWith("W/")) assert.equal(allows, false);
  return result;
});

fuzz("HTTP dates: whole seconds round-trip, anything else is null or a number", {
  iterations: 5_000,
}, (rng) => {
  const sec = rng.int(4_000_000_000);
  assert.equal(parseHttpDate(new Date(sec * 1000).toUTCString()), sec);
  const junk = stringOf(rng, ["Mon", " ", "1", "9", ":", "GMT", "+", "-", "Z", "T"], rng.int(30));
  const d = parseHttpDate(junk);
  assert.ok(d === null || Number.isInteger(d));
  assert.equal(parseHttpDate("1".repeat(65)), null);
});

const PATH_CHARS = [
  "a",
  "b",
  ".",
  "/",
  "%",
  "2",
  "e",
  "f",
  "5",
  "c",
  "0",
  "\\",
  " ",
  "é",
  "%2e",
  "%2F",
  "%00",
  "%C0%AE",
  "%e2%80%ae",
  "~",
  "?",
];

fuzz("URL paths: only INVALID_NAME escapes; what passes is jail-clean and round-trips", {
  iterations: 8_000,
  outcomes: ["refused", "root", "accepted"],
}, (rng) => {
  const raw = "/" + stringOf(rng, PATH_CHARS, rng.int(16));
  let path;
  try {
    path = parseUrlPath(raw);
  } catch (e) {
    assert.ok(isNetkitError(e, "INVALID_NAME"), `${JSON.stringify(raw)}: ${e}`);
    return "refused";
  }
  for (const s of path.segments) {
    assert.ok(
      acceptsName(s, { hidden: true }),
      `${JSON.stringify(s)} from ${JSON.stringify(raw)}`,
    );
  }
  assert.equal(path.hidden, path.segments.some((s) => s.startsWith(".")));
  const again = parseUrlPath(
    encodeSegments(path.segments) + (path.slash && path.segments.length ? "/" : ""),
  );
  assert.deepEqual(again, path);
  return path.segments.length === 0 ? "root" : "accepted";
});

fuzz("URL paths: percent-decoding inverts encodeURIComponent; rawPathOf finds the path", {
  iterations: 5_000,
}, (rng) => {
  const text = stringOf(rng, ["a", "/", "%", " ", "é", "日", "😀", "?", "#", "+"], rng.int(12));
  assert.equal(decodePath(encodeURIComponent(text)), text);
  const path = "/" + encodeURIComponent(text);
  const query = rng.next() < 0.5 ? "?" + stringOf(rng, ["a", "/", "?", "#", "="], rng.int(6)) : "";
  assert.equal(rawPathOf(`http://h:1${path}${query}`), path);
});

fuzz("upload headers: Content-Range, PATCH offsets and Content-Length stay in bounds", {
  iterations: 8_000,
  outcomes: ["slice", "probe", "refused"],
}, (rng) => {
  const n = () =>
    rng.pick([
      String(rng.int(100)),
      "",
      "18446744073709551616",
      "9007199254740993",
      " 5",
      "-1",
      "1e3",
    ]);
  const header = rng.pick([
    () => `bytes ${n()}-${n()}/${n()}`,
    () => `bytes */${n()}`,
    () =>
      `${rng.pick(["BYTES", "bytes", "items"])}${rng.pick([" ", "  ", ""])}${n()}-${n()}/${n()}`,
  ])();
  const slice = parseContentRange(header);
  if (slice?.kind === "slice") {
    assert.ok(slice.start >= 0 && slice.length >= 1 && slice.start + slice.length <= slice.total);
    const again = parseContentRange(
      `bytes ${slice.start}-${slice.start + slice.length - 1}/${slice.total}`,
    );
    assert.deepEqual(again, slice);
  }
  const patch = parsePatchHeaders(
    rng.next() < 0.1 ? null : n(),
    n(),
    rng.next() < 0.3 ? null : n(),
  );
  if (patch?.kind === "slice") {
    assert.ok(patch.start >= 0 && patch.length >= 0 && patch.start + patch.length <= patch.total);
  }
  const length = parseLength(rng.next() < 0.1 ? null : n());
  assert.ok(
    length === null || Number.isNaN(length) || (Number.isSafeInteger(length) && length >= 0),
  );
  return slice?.kind ?? "refused";
});

/** A sink in place of the upload's file: records writes, may fail one. */
function sink(failAt: number) {
  const parts: Uint8Array[] = [];
  return {
    parts,
    file: {
      write(chunk: Uint8Array) {
        if (parts.length === failAt) return Promise.reject(new Error("disk gone"));
        parts.push(chunk.slice());
        return Promise.resolve();
      },
    } as unknown as AtomicFile,
  };
}

fuzz("chunked bodies: drain writes exactly the bytes in order, and stops at its limit", {
  iterations: 800,
  outcomes: ["written", "over the limit", "write failed"],
}, async (rng) => {
  const total = rng.int(5000);
  const data = rng.bytes(total);
  let at = 0;
  const chunks: Uint8Array[] = [];
  while (at < total) {
    const k = 1 + rng.int(rng.pick([1, 16, 700, 5000]));
    chunks.push(data.subarray(at, at + k));
    at += k;
  }
  const limit = rng.next() < 0.3 ? rng.int(total + 1) : total + rng.int(10);
  const tooLarge = rng.next() < 0.5;
  const failAt = rng.next() < 0.2 ? rng.int(chunks.length + 1) : -1;
  const out = sink(failAt);
  let got: number | null = null;
  try {
    got = await drain(ReadableStream.from(chunks), out.file, limit, tooLarge);
  } catch (e) {
    const written = out.parts.reduce((n, p) => n + p.length, 0);
    assert.deepEqual(
      out.parts.flatMap((p) => [...p]),
      [...data.subarray(0, written)],
      "a prefix",
    );
    if (e instanceof Error && e.message === "disk gone") return "write failed";
    assert.ok(isNetkitError(e, tooLarge ? "TOO_LARGE" : "SIZE_MISMATCH"), String(e));
    assert.ok(total > limit);
    return "over the limit";
  }
  assert.ok(total <= limit && failAt < 0 || failAt >= chunks.length);
  assert.equal(got, total);
  assert.deepEqual(out.parts.flatMap((p) => [...p]), [...data]);
  return "written";
});

fuzz("chunked uploads over a socket: any chunking and chunk extensions store the same bytes", {
  iterations: 12,
  scale: 0.001,
}, async (rng, i) => {
  await using dir = await tempDir("fuzz-chunked-");
  await using s = await serve({ root: dir.path, upload: true, token: "t" });
  const data = rng.bytes(rng.int(300_000));
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [enc.encode(
    `PUT /f${i}.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n` +
      `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
  )];
  for (let at = 0; at < data.length;) {
    const k = 1 + rng.int(rng.pick([3, 1000, 70_000]));
    const chunk = data.subarray(at, at + k);
    const ext = rng.next() < 0.3 ? `;${stringOf(rng, ["a", "=", "b", "1"], 1 + rng.int(6))}` : "";
    parts.push(enc.encode(`${chunk.length.toString(16)}${ext}\r\n`), chunk, enc.encode("\r\n"));
    at += chunk.length;
  }
  parts.push(enc.encode("0\r\n\r\n"));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.addr.port });
  try {
    for (const p of parts) {
      for (let w = 0; w < p.length;) w += await conn.write(p.subarray(w));
    }
    const answer = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    assert.match(answer, /^HTTP\/1\.1 201 /, answer.slice(0, 80));
  } catch (e) {
    try {
      conn.close();
    } catch { /* closed */ }
    throw e;
  }
  const stored = await Deno.readFile(dir.join(`f${i}.bin`));
  assert.equal(stored.length, data.length);
  assert.ok(stored.every((b, k) => b === data[k]), "the stored bytes differ");
});

fuzz("Authorization: never throws; parsed exactly as the header says, or refused", {
  iterations: 4_000,
  outcomes: ["password", "token", "refused"],
}, (rng) => {
  const good = btoa("alice:s3cret");
  const header = rng.pick([
    () => `Basic ${good}`,
    () =>
      `${rng.pick(["basic", "BASIC", "Bearer", "bearer", "Digest"])}${rng.pick([" ", "  ", ""])}${
        rng.pick([good, "tok3n", btoa("alice:s3cret\0"), "YWxpY2U6czNjcmV0", "YWxpY2U6czNjcmV0=="])
      }`,
    () => `Basic ${stringOf(rng, ["Y", "W", "x", "=", "+", "/", " ", "é", "*"], rng.int(30))}`,
    () => stringOf(rng, ["B", "a", "s", "i", "c", " ", "=", "\t"], rng.int(20)),
  ])();
  const got = parseAuthorization(header);
  // The model: a scheme, one space, a value; Bearer takes any value, Basic
  // strict base64 of "user:password" with a non-empty UTF-8 user.
  const sp = header.indexOf(" ");
  const scheme = sp < 0 ? "" : header.slice(0, sp).toLowerCase();
  const value = header.slice(sp + 1).trim();
  if (scheme === "bearer" && value !== "") {
    assert.deepEqual(got, { kind: "token", token: new TextEncoder().encode(value) });
    return "token";
  }
  const decoded = scheme === "basic" ? decodeBase64(value) : null;
  const colon = decoded?.indexOf(0x3a) ?? -1;
  let user: string | null = null;
  try {
    if (decoded && colon >= 1) {
      user = new TextDecoder("utf-8", { fatal: true }).decode(decoded.subarray(0, colon));
    }
  } catch { /* not UTF-8: refused */ }
  if (user === null) {
    assert.equal(got, null, JSON.stringify(header));
    return "refused";
  }
  assert.deepEqual(got, { kind: "password", user, password: decoded!.slice(colon + 1) });
  return "password";
});

fuzz("base64: strict alphabet and length, and bytes round-trip", {
  iterations: 5_000,
  outcomes: ["decoded", "refused"],
}, (rng) => {
  const bytes = rng.bytes(rng.int(60));
  const text = btoa(String.fromCharCode(...bytes));
  assert.deepEqual(decodeBase64(text), bytes);
  const junk = stringOf(rng, ["A", "z", "0", "+", "/", "=", "-", "_", " ", "é"], rng.int(16));
  const d = decodeBase64(junk);
  if (d !== null) {
    assert.ok(junk.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(junk), junk);
    return "decoded";
  }
  return "refused";
});

const NAME_CHARS = [
  "a",
  "/",
  "\\",
  ".",
  " ",
  ":",
  "C",
  "z",
  "\x1b",
  "\n",
  "\u0085",
  "é",
  "..",
  "%2e",
];

fuzz("archive names: never a \\, a drive, a dot segment or a leading /; safe names unchanged", {
  iterations: 10_000,
  outcomes: ["kept", "changed"],
}, (rng) => {
  const name = stringOf(rng, NAME_CHARS, rng.int(14));
  const safe = safeArchiveName(name);
  assert.ok(safe.length > 0);
  assert.ok(!safe.includes("\\") && !safe.startsWith("/"), safe);
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(safe), JSON.stringify(safe));
  for (const s of safe.split("/")) {
    assert.ok(s !== "" && !/^[. ]+$/.test(s) && !/^[A-Za-z]:/.test(s), JSON.stringify(safe));
  }
  assert.equal(safeArchiveName(safe), safe, "not idempotent");
  const plain = name.split("/").every((s) => !/^[. ]+$/.test(s));
  if (acceptsName(name, { subdirs: true, hidden: true }) && plain) {
    assert.equal(safe, name, "a name the jail serves was changed");
    return "kept";
  }
  return safe === name ? "kept" : "changed";
});
