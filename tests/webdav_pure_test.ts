// WebDAV's pure pieces with plain values and adversarial input: the If
// header, the locking rules, the XML reader's limits (DOCTYPE, entity
// bombs, nesting, size checked before buffering), seeded fuzzing of the
// reader and of the serializer's round trip, Destination, Depth, Timeout.

import assert from "node:assert/strict";
import { isNetkitError } from "../core/errors.ts";
import type { LockRecord } from "../core/library/lock_store.ts";
import { parseDepth, parseOverwrite, parseTimeout } from "../http/webdav/context.ts";
import { parseDestination } from "../http/webdav/copy_move.ts";
import { DavError } from "../http/webdav/dav_error.ts";
import { parseIfHeader, submittedTokens } from "../http/webdav/if_header.ts";
import { blocking, conflicts, covers, evaluateIf } from "../http/webdav/lock_rules.ts";
import {
  elementXml,
  escapeXml,
  hrefOf,
  parseXml,
  readXml,
  type XmlElement,
} from "../http/webdav/xml.ts";
import { Prng } from "./prng.ts";

Deno.test("parseIfHeader: untagged, tagged, Not, ETags; malformed is null", () => {
  assert.deepEqual(parseIfHeader('(<urn:uuid:a> ["e"]) (Not <DAV:no-lock>)'), [
    {
      resource: null,
      conditions: [{ not: false, token: "urn:uuid:a" }, { not: false, etag: '"e"' }],
    },
    { resource: null, conditions: [{ not: true, token: "DAV:no-lock" }] },
  ]);
  assert.deepEqual(parseIfHeader('<http://h/a> (<t1>) (<t2>) </b> (NOT [W/"x"])'), [
    { resource: "http://h/a", conditions: [{ not: false, token: "t1" }] },
    { resource: "http://h/a", conditions: [{ not: false, token: "t2" }] },
    { resource: "/b", conditions: [{ not: true, etag: 'W/"x"' }] },
  ]);
  for (
    const bad of ["", "()", "(<a>", "<x>", "(<a>) <x> (<b>)", "(<>)", "([])", "(foo)", "x (<a>)"]
  ) {
    assert.equal(parseIfHeader(bad), null, bad);
  }
  assert.equal(parseIfHeader("(" + "<a>".repeat(10_000) + ")"), null, "too long");
  assert.deepEqual(
    [...submittedTokens(parseIfHeader("</x> (<a>) (Not <b>) (<c> [e])")!)].sort(),
    ["a", "c"],
  );
});

const lock = (o: Partial<LockRecord>): LockRecord => ({
  token: "t",
  path: "",
  depth: 0,
  scope: "exclusive",
  owner: "",
  principal: "p",
  timeoutSec: 60,
  expiresMs: 1e15,
  ...o,
});

Deno.test("locking rules: cover, conflict, what must be submitted", () => {
  const coll = lock({ token: "c", path: "a", depth: "infinity" });
  assert.ok(covers(coll, "a/b/c") && covers(coll, "a") && !covers(coll, "ab"));
  assert.ok(!covers(lock({ path: "a" }), "a/b"));
  const shared = lock({ token: "s", path: "a/b", scope: "shared" });
  const draft = (o: Partial<LockRecord>) => ({
    ...lock(o),
    token: undefined,
    expiresMs: undefined,
  });
  assert.deepEqual(conflicts([shared], draft({ path: "a/b", scope: "shared" })), []);
  assert.deepEqual(conflicts([shared], draft({ path: "a/b" })), [shared]);
  assert.deepEqual(conflicts([shared], draft({ path: "a", depth: "infinity" })), [shared]);
  assert.deepEqual(conflicts([shared], draft({ path: "a", depth: 0 })), []);
  const t = [{ path: "a/b/c", tree: false }];
  assert.deepEqual(blocking([coll], t, new Set(), "p"), [coll]);
  assert.deepEqual(blocking([coll], t, new Set(["c"]), "p"), []);
  assert.deepEqual(
    blocking([coll], t, new Set(["c"]), "someone else"),
    [coll],
    "token of another principal",
  );
  assert.deepEqual(blocking([shared], [{ path: "a", tree: true }], new Set(), "p"), [shared]);
  const state = { etag: '"e"', locks: [coll] };
  const holds = (h: string) => evaluateIf(parseIfHeader(h)!, () => state);
  assert.ok(holds('(<c> ["e"])'));
  assert.ok(!holds('(<c> ["x"])'));
  assert.ok(holds("(<cx>) (Not <DAV:no-lock>)"));
  assert.ok(!holds("(<DAV:no-lock>)"));
  assert.ok(holds('([W/"e"])'));
});

Deno.test("XML: namespaces resolved; DOCTYPE, entities, unbound prefixes refused", () => {
  const el = parseXml(`<D:a xmlns:D="DAV:" xmlns="urn:x"><b c="1">t&amp;<![CDATA[<x>]]></b></D:a>`);
  assert.equal(el.ns, "DAV:");
  const b = el.children[0] as XmlElement;
  assert.deepEqual([b.ns, b.local, b.attrs, b.children], ["urn:x", "b", [{
    ns: "",
    local: "c",
    value: "1",
  }], ["t&<x>"]]);
  const refused = [
    `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><a>&lol2;</a>`,
    `<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>`,
    `<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>`,
    `<a>&undefined;</a>`,
    `<a><b:c/></a>`,
    `<a xmlns:b=""/>`,
    `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`,
    `<a></b>`,
    `<a/><b/>`,
    ``,
  ];
  for (const x of refused) {
    assert.throws(() => parseXml(x), (e) => e instanceof DavError && e.status === 400, x);
  }
});

Deno.test("XML: nesting and node counts are bounded, quickly", () => {
  const t0 = performance.now();
  assert.throws(() => parseXml("<a>".repeat(100_000)), /nested too deeply/);
  assert.throws(() => parseXml(`<a>${"<b/>".repeat(30_000)}</a>`), /too many XML nodes/);
  assert.ok(performance.now() - t0 < 5_000, "limits hit early");
  parseXml("<a>".repeat(60) + "</a>".repeat(60));
});

Deno.test("XML: the size limit is checked before buffering", async () => {
  let pulled = 0;
  const endless = () =>
    new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new TextEncoder().encode("<a>".padEnd(65536, " ")));
      },
    });
  // A declared length over the limit: refused without reading a byte.
  const declared = new Request("http://h/", {
    method: "PROPFIND",
    body: endless(),
    headers: { "content-length": String(10 << 20) },
  });
  await assert.rejects(
    readXml(declared, { maxBytes: 1 << 20 }),
    (e) => isNetkitError(e, "TOO_LARGE"),
  );
  assert.ok(pulled <= 1, `pulled ${pulled} chunks`);
  // No length (chunked): refused as soon as the bytes read pass the limit.
  pulled = 0;
  const chunked = new Request("http://h/", { method: "PROPFIND", body: endless() });
  await assert.rejects(
    readXml(chunked, { maxBytes: 1 << 20 }),
    (e) => isNetkitError(e, "TOO_LARGE"),
  );
  assert.ok(pulled <= 20, `pulled ${pulled} chunks`);
  const blank = new Request("http://h/", { method: "PROPFIND", body: "  \n " });
  assert.equal(await readXml(blank), null);
});

const SAMPLES = [
  `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><x:y xmlns:x="urn:y"/></D:prop></D:propfind>`,
  `<propertyupdate xmlns="DAV:"><set><prop><a xmlns="urn:a" q="1">v &lt; w<b/></a></prop></set><remove><prop><c xmlns=""/></prop></remove></propertyupdate>`,
  `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>http://x/</D:href></D:owner></D:lockinfo>`,
];

Deno.test("XML fuzz: mutated bodies parse or fail with 400, never anything else", () => {
  const rng = new Prng(13);
  const alphabet = `<>/="'&;:!?[]- xmlnsDAV:#\u00e9\u{1f600}\u0000\u0008`;
  for (let i = 0; i < 3000; i++) {
    let x = rng.pick(SAMPLES);
    const edits = 1 + rng.int(6);
    for (let e = 0; e < edits; e++) {
      const at = rng.int(x.length + 1);
      const op = rng.int(3);
      if (op === 0) x = x.slice(0, at) + x.slice(at + 1 + rng.int(8));
      else if (op === 1) x = x.slice(0, at) + rng.pick([...alphabet]) + x.slice(at);
      else x = x.slice(0, at) + x.slice(rng.int(x.length));
    }
    try {
      parseXml(x);
    } catch (e) {
      assert.ok(e instanceof DavError && e.status === 400, `${JSON.stringify(x)}: ${e}`);
    }
  }
});

Deno.test("XML fuzz: serialized elements read back the same, whatever the names and text", () => {
  const rng = new Prng(7);
  const chars = [..."abcXYZ<>&\"' \t\n\u00e9\u4e2d\u{1f600}]]>"];
  const text = () => Array.from({ length: rng.int(12) }, () => rng.pick(chars)).join("");
  const nss = ["", "DAV:", "urn:a", "http://x/?q=<&>", "urn:\u00e9"];
  const gen = (depth: number): XmlElement => ({
    ns: rng.pick(nss),
    local: rng.pick(["a", "b-c", "d.e", "\u00e9t\u00e9", "x_1"]),
    attrs: rng.int(3) === 0 ? [{ ns: rng.pick(nss), local: "k", value: text() }] : [],
    children: Array.from(
      { length: depth > 3 ? 0 : rng.int(4) },
      () => rng.int(2) ? text() : gen(depth + 1),
    )
      .filter((c) => c !== ""),
  });
  const normal = (el: XmlElement): XmlElement => {
    const kids: XmlElement["children"] = [];
    for (const c of el.children) {
      const last = kids.at(-1);
      if (typeof c === "string" && typeof last === "string") kids[kids.length - 1] = last + c;
      else kids.push(typeof c === "string" ? c : normal(c));
    }
    return { ...el, attrs: el.attrs.map((a) => ({ ...a })), children: kids };
  };
  for (let i = 0; i < 500; i++) {
    const el = gen(0);
    assert.deepEqual(parseXml(elementXml(el)), normal(el));
  }
});

Deno.test("escapeXml and hrefOf: markup escaped, characters XML cannot carry replaced, paths encoded", () => {
  assert.equal(escapeXml(`<a href="x">&</a>`), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
  assert.equal(escapeXml("a\u0001b\ufffec\ud800"), "a\ufffdb\ufffdc\ufffd");
  assert.equal(escapeXml("\u{1f600}"), "\u{1f600}");
  assert.equal(hrefOf(["a b", "<&>", "\u00e9"], true), "/a%20b/%3C%26%3E/%C3%A9/");
  assert.equal(hrefOf([], true), "/");
});

Deno.test("parseDestination: this host only, raw path jailed like a request path", () => {
  const here = "http://127.0.0.1:8000/x";
  assert.deepEqual(parseDestination("http://127.0.0.1:8000/a/b%20c", here).segments, ["a", "b c"]);
  assert.deepEqual(parseDestination("/a/", here).segments, ["a"]);
  const status = (h: string | null) => {
    try {
      parseDestination(h, here);
      return 0;
    } catch (e) {
      return (e as DavError).status;
    }
  };
  assert.equal(status("http://other:8000/a"), 502);
  assert.equal(status("https://127.0.0.1:8000/a"), 502);
  assert.equal(status("http://127.0.0.1:8001/a"), 502);
  assert.equal(status("//other/a"), 502);
  for (
    const bad of [
      null,
      "",
      "a/b",
      "/../x",
      "/a/%2e%2e/x",
      "http://127.0.0.1:8000/a/../../x",
      "/%00",
      "/a\\b",
    ]
  ) {
    assert.equal(status(bad), 400, String(bad));
  }
});

Deno.test("Depth, Overwrite and Timeout headers", () => {
  assert.equal(parseDepth(null, "infinity"), "infinity");
  assert.equal(parseDepth(" Infinity ", 0), "infinity");
  assert.equal(parseDepth("1", 0), 1);
  assert.throws(() => parseDepth("2", 0));
  assert.equal(parseOverwrite(null), true);
  assert.equal(parseOverwrite("f"), false);
  assert.throws(() => parseOverwrite("yes"));
  assert.equal(parseTimeout("Infinite, Second-4100000000", 3600), 3600);
  assert.equal(parseTimeout("Second-30", 3600), 30);
  assert.equal(parseTimeout("Second-0", 3600), 1);
  assert.equal(parseTimeout("bogus, Second-99", 3600), 99);
  assert.equal(parseTimeout(null, 3600), 600);
});
