// Every WebDAV method and each of its statuses, driven with curl over a
// real socket: OPTIONS, PROPFIND, PROPPATCH, MKCOL, PUT, DELETE, COPY,
// MOVE, LOCK and UNLOCK, credentials and switched-off methods.

import assert from "node:assert/strict";
import { CREDS, davCurl, davServer, lockBody, tokenOf } from "./webdav_helpers.ts";

const XML = "Content-Type: application/xml";

Deno.test("OPTIONS: DAV 1, 2, MS-Author-Via, Allow; no credentials needed", async () => {
  await using s = await davServer();
  const r = await davCurl("OPTIONS", s.url(""), { creds: null });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("dav"), "1, 2");
  assert.equal(r.headers.get("ms-author-via"), "DAV");
  for (const m of ["PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "DELETE"]) {
    assert.ok(r.headers.get("allow")!.includes(m), m);
  }
});

Deno.test("PROPFIND: depths, allprop, named, propname, 404 propstat, refusals", async (t) => {
  await using s = await davServer();
  await Deno.mkdir(`${s.root}/docs`);
  await Deno.writeTextFile(`${s.root}/docs/a b.txt`, "hello");
  await Deno.writeTextFile(`${s.root}/docs/<&>.txt`, "x");

  await t.step(
    "Depth 1 lists the folder and its members, names escaped, hrefs encoded",
    async () => {
      const r = await davCurl("PROPFIND", s.url("docs/"), { headers: ["Depth: 1"] });
      assert.equal(r.status, 207);
      assert.match(r.headers.get("content-type")!, /application\/xml/);
      assert.ok(r.body.includes("<D:href>/docs/</D:href>"), r.body);
      assert.ok(r.body.includes("<D:href>/docs/a%20b.txt</D:href>"), r.body);
      assert.ok(r.body.includes("<D:href>/docs/%3C%26%3E.txt</D:href>"), r.body);
      assert.ok(r.body.includes("<D:displayname>&lt;&amp;&gt;.txt</D:displayname>"), r.body);
      assert.ok(r.body.includes("<D:resourcetype><D:collection/></D:resourcetype>"));
      assert.ok(r.body.includes("<D:getcontentlength>5</D:getcontentlength>"));
      assert.ok(r.body.includes("<D:supportedlock>"));
    },
  );

  await t.step("getetag is the ETag a GET sends", async () => {
    const get = await davCurl("GET", s.url("docs/a%20b.txt"));
    const r = await davCurl("PROPFIND", s.url("docs/a%20b.txt"), {
      headers: ["Depth: 0", XML],
      body: `<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>`,
    });
    assert.ok(
      r.body.includes(`<D:getetag>${get.headers.get("etag")!.replaceAll('"', "&quot;")}`),
      r.body,
    );
  });

  await t.step("an unknown property gets a 404 propstat", async () => {
    const r = await davCurl("PROPFIND", s.url("docs/"), {
      headers: ["Depth: 0", XML],
      body:
        `<D:propfind xmlns:D="DAV:" xmlns:x="urn:x"><D:prop><D:getlastmodified/><x:nope/></D:prop></D:propfind>`,
    });
    assert.equal(r.status, 207);
    assert.match(r.body, /<nope xmlns="urn:x"\/><\/D:prop><D:status>HTTP\/1.1 404 Not Found/);
  });

  await t.step("propname lists names only", async () => {
    const r = await davCurl("PROPFIND", s.url("docs/a%20b.txt"), {
      headers: ["Depth: 0", XML],
      body: `<propfind xmlns="DAV:"><propname/></propfind>`,
    });
    assert.ok(r.body.includes("<D:getetag/>") && r.body.includes("<D:lockdiscovery/>"), r.body);
  });

  await t.step(
    "Depth infinity: 403 with propfind-finite-depth (also when Depth is absent)",
    async () => {
      for (const h of [["Depth: infinity"], []]) {
        const r = await davCurl("PROPFIND", s.url(""), { headers: h });
        assert.equal(r.status, 403);
        assert.ok(r.body.includes("<D:propfind-finite-depth"), r.body);
      }
    },
  );

  await t.step("404, 400 for bad XML, a DOCTYPE or a bad Depth", async () => {
    assert.equal((await davCurl("PROPFIND", s.url("nope"), { headers: ["Depth: 0"] })).status, 404);
    for (
      const body of [
        "<propfind",
        `<!DOCTYPE x [<!ENTITY a "b">]><propfind xmlns="DAV:"><allprop/></propfind>`,
        `<x xmlns="DAV:"/>`,
      ]
    ) {
      const r = await davCurl("PROPFIND", s.url(""), { headers: ["Depth: 0", XML], body });
      assert.equal(r.status, 400, body);
    }
    assert.equal((await davCurl("PROPFIND", s.url(""), { headers: ["Depth: 2"] })).status, 400);
  });
});

Deno.test("PROPPATCH: set, remove, survive a restart, protected properties refused", async () => {
  await using s = await davServer();
  await Deno.writeTextFile(`${s.root}/f.txt`, "x");
  const set = await davCurl("PROPPATCH", s.url("f.txt"), {
    headers: [XML],
    body: `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop>` +
      `<Z:color>red &amp; <Z:b>blue</Z:b></Z:color><Z:gone>1</Z:gone></D:prop></D:set>` +
      `<D:remove><D:prop><Z:gone/></D:prop></D:remove></D:propertyupdate>`,
  });
  assert.equal(set.status, 207);
  assert.match(set.body, /HTTP\/1.1 200 OK/);
  const bad = await davCurl("PROPPATCH", s.url("f.txt"), {
    headers: [XML],
    body: `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop>` +
      `<D:getetag>x</D:getetag><Z:shape>round</Z:shape></D:prop></D:set></D:propertyupdate>`,
  });
  assert.equal(bad.status, 207);
  assert.match(bad.body, /403 Forbidden.*cannot-modify-protected-property/s);
  assert.match(bad.body, /<shape xmlns="urn:z"\/><\/D:prop><D:status>HTTP\/1.1 424/);
  // A new server on the same folder sees the properties (they are on disk).
  await s.server.shutdown();
  await using again = await davServer({ root: s.root });
  const r = await davCurl("PROPFIND", again.url("f.txt"), {
    headers: ["Depth: 0", XML],
    body:
      `<propfind xmlns="DAV:"><prop><color xmlns="urn:z"/><shape xmlns="urn:z"/><gone xmlns="urn:z"/></prop></propfind>`,
  });
  assert.ok(r.body.includes(`<color xmlns="urn:z">red &amp; <b>blue</b></color>`), r.body);
  assert.match(
    r.body,
    /<shape xmlns="urn:z"\/><gone xmlns="urn:z"\/><\/D:prop><D:status>HTTP\/1.1 404/,
  );
});

Deno.test("MKCOL 201/405/409/415, PUT 201/204/405/409/412, DELETE 204/404", async () => {
  await using s = await davServer();
  const st = async (m: string, p: string, o: Parameters<typeof davCurl>[2] = {}) =>
    (await davCurl(m, s.url(p), o)).status;
  assert.equal(await st("MKCOL", "d"), 201);
  assert.equal(await st("MKCOL", "d"), 405);
  assert.equal(await st("MKCOL", "x/y"), 409);
  assert.equal(await st("MKCOL", "e", { headers: [XML], body: "<a/>" }), 415);
  assert.equal(await st("PUT", "d/f.txt", { body: "one" }), 201);
  assert.equal(await st("PUT", "d/f.txt", { body: "two" }), 204);
  assert.equal(await Deno.readTextFile(`${s.root}/d/f.txt`), "two");
  assert.equal(await st("PUT", "d", { body: "x" }), 405);
  assert.equal(await st("PUT", "nope/f.txt", { body: "x" }), 409);
  assert.equal(await st("PUT", "d/f.txt", { body: "x", headers: [`If-Match: "nope"`] }), 412);
  assert.equal(await st("PUT", "d/f.txt", { body: "x", headers: ["If-None-Match: *"] }), 412);
  assert.equal(await st("PUT", "d/new.txt", { body: "x", headers: ["If-None-Match: *"] }), 201);
  await Deno.mkdir(`${s.root}/d/deep/deeper`, { recursive: true });
  assert.equal(await st("DELETE", "d"), 204);
  assert.equal(await st("DELETE", "d"), 404);
  assert.deepEqual([...Deno.readDirSync(s.root)], []);
});

Deno.test("DELETE naming a resumable upload's size cancels it, never the file", async () => {
  await using s = await davServer();
  await Deno.writeTextFile(`${s.root}/f.txt`, "keep");
  const st = async (m: string, h: string[], body?: string) =>
    (await davCurl(m, s.url("f.txt"), { headers: h, body })).status;
  assert.equal(await st("DELETE", ["Upload-Length: 10"]), 404); // no upload to cancel
  assert.equal(await Deno.readTextFile(`${s.root}/f.txt`), "keep");
  assert.notEqual(await st("PUT", ["Content-Range: bytes 0-2/10"], "abc"), 201); // a part held
  assert.equal(await st("DELETE", ["Content-Range: bytes */10"]), 204);
  assert.equal(await Deno.readTextFile(`${s.root}/f.txt`), "keep");
  assert.deepEqual([...Deno.readDirSync(s.root)].map((e) => e.name), ["f.txt"]);
});

Deno.test("COPY and MOVE: 201/204, Overwrite F 412, 409, 502, refused destinations", async () => {
  await using s = await davServer();
  await Deno.mkdir(`${s.root}/src/sub`, { recursive: true });
  await Deno.writeTextFile(`${s.root}/src/sub/a.txt`, "a");
  await Deno.writeTextFile(`${s.root}/f.txt`, "f");
  const dest = (p: string) => [`Destination: ${s.url(p)}`];
  const st = async (m: string, p: string, h: string[]) =>
    (await davCurl(m, s.url(p), { headers: h })).status;
  assert.equal(await st("COPY", "src", dest("copy")), 201);
  assert.equal(await Deno.readTextFile(`${s.root}/copy/sub/a.txt`), "a");
  assert.equal(await st("COPY", "src", [...dest("copy"), "Overwrite: F"]), 412);
  assert.equal(await st("COPY", "src", dest("copy")), 204);
  assert.equal(await st("COPY", "src", [...dest("shallow"), "Depth: 0"]), 201);
  assert.deepEqual([...Deno.readDirSync(`${s.root}/shallow`)], []);
  assert.equal(await st("COPY", "f.txt", dest("no/where.txt")), 409);
  assert.equal(await st("COPY", "f.txt", dest("f.txt")), 403);
  assert.equal(await st("COPY", "src", dest("src/sub/inside")), 403);
  assert.equal(await st("COPY", "nope", dest("x")), 404);
  assert.equal(await st("MOVE", "f.txt", dest("g.txt")), 201);
  assert.equal(await st("MOVE", "g.txt", [...dest("copy"), "Overwrite: F"]), 412);
  assert.equal(await st("MOVE", "g.txt", dest("copy")), 204);
  assert.equal(await Deno.readTextFile(`${s.root}/copy`), "f");
  const other = s.url("x").replace("127.0.0.1", "localhost");
  assert.equal(await st("MOVE", "src", [`Destination: ${other}`]), 502);
  assert.equal(await st("MOVE", "src", ["Destination: //evil.example/x"]), 502);
  for (
    const bad of [
      "/%2e%2e/escape",
      "/a/../../escape",
      "/%252e%252e/escape",
      "/src/%2F..%2F..%2Fescape",
      "/..%5c..%5cescape",
      "/%00x",
    ]
  ) {
    assert.equal(await st("MOVE", "src", [`Destination: ${bad}`]), 400, bad);
  }
  assert.equal(await st("MOVE", "src", []), 400);
  assert.ok((await Deno.stat(`${s.root}/src/sub/a.txt`)).isFile, "nothing moved");
});

Deno.test("LOCK and UNLOCK: 200/201, 423 for others, refresh, 409 and 403 on UNLOCK", async () => {
  await using s = await davServer({ token: "bob-token" });
  await Deno.writeTextFile(`${s.root}/f.txt`, "f");
  const lock = await davCurl("LOCK", s.url("f.txt"), {
    headers: [XML, "Timeout: Second-100"],
    body: lockBody(),
  });
  assert.equal(lock.status, 200);
  const token = tokenOf(lock);
  assert.match(token, /^urn:uuid:[0-9a-f-]{36}$/);
  assert.ok(lock.body.includes("<D:timeout>Second-100</D:timeout>"), lock.body);
  assert.ok(lock.body.includes("<D:owner xmlns") || lock.body.includes("<owner"), lock.body);
  assert.ok(lock.body.includes("<D:lockroot><D:href>/f.txt</D:href>"), lock.body);

  const put = await davCurl("PUT", s.url("f.txt"), { body: "other" });
  assert.equal(put.status, 423);
  assert.ok(put.body.includes("<D:lock-token-submitted><D:href>/f.txt</D:href>"), put.body);
  const ok = await davCurl("PUT", s.url("f.txt"), { body: "mine", headers: [`If: (<${token}>)`] });
  assert.equal(ok.status, 204);
  // Bob (the bearer token) submitting Alice's token is not the lock's owner.
  const bob = ["Authorization: Bearer bob-token"];
  const stolen = await davCurl("PUT", s.url("f.txt"), {
    body: "bob",
    creds: null,
    headers: [...bob, `If: (<${token}>)`],
  });
  assert.equal(stolen.status, 423);
  assert.equal(
    (await davCurl("UNLOCK", s.url("f.txt"), {
      creds: null,
      headers: [...bob, `Lock-Token: <${token}>`],
    })).status,
    403,
  );
  const second = await davCurl("LOCK", s.url("f.txt"), {
    headers: [XML],
    body: lockBody("shared"),
  });
  assert.equal(second.status, 423);
  assert.ok(second.body.includes("no-conflicting-lock"), second.body);

  const refresh = await davCurl("LOCK", s.url("f.txt"), {
    headers: [`If: (<${token}>)`, "Timeout: Second-50"],
  });
  assert.equal(refresh.status, 200);
  assert.ok(refresh.body.includes("Second-50"), refresh.body);

  const unmapped = await davCurl("LOCK", s.url("new.txt"), { headers: [XML], body: lockBody() });
  assert.equal(unmapped.status, 201);
  assert.ok(unmapped.body.includes("<D:lockroot><D:href>/new.txt</D:href>"), unmapped.body);
  await Deno.mkdir(`${s.root}/d`);
  const folder = await davCurl("LOCK", s.url("d"), { headers: [XML], body: lockBody() });
  assert.equal(folder.status, 200);
  assert.ok(folder.body.includes("<D:lockroot><D:href>/d/</D:href>"), folder.body);
  assert.equal(await Deno.readTextFile(`${s.root}/new.txt`), "");

  assert.equal(
    (await davCurl("UNLOCK", s.url("f.txt"), { headers: [`Lock-Token: <${tokenOf(unmapped)}>`] }))
      .status,
    409,
  );
  assert.equal((await davCurl("UNLOCK", s.url("f.txt"), {})).status, 400);
  assert.equal(
    (await davCurl("UNLOCK", s.url("f.txt"), { headers: [`Lock-Token: <${token}>`] })).status,
    204,
  );
  assert.equal((await davCurl("PUT", s.url("f.txt"), { body: "free" })).status, 204);
});

Deno.test("a locked member stops DELETE of its folder: 207 names it", async () => {
  await using s = await davServer();
  await Deno.mkdir(`${s.root}/d`);
  await Deno.writeTextFile(`${s.root}/d/locked.txt`, "x");
  await Deno.writeTextFile(`${s.root}/d/free.txt`, "x");
  const lock = await davCurl("LOCK", s.url("d/locked.txt"), { headers: [XML], body: lockBody() });
  const r = await davCurl("DELETE", s.url("d"));
  assert.equal(r.status, 207);
  assert.match(r.body, /<D:href>\/d\/locked.txt<\/D:href><D:status>HTTP\/1.1 423 Locked/);
  assert.ok((await Deno.stat(`${s.root}/d/free.txt`)).isFile, "nothing removed");
  // An untagged list is about the request URI, which the member's lock does not cover: 412.
  const untagged = [`If: (<${tokenOf(lock)}>)`];
  assert.equal((await davCurl("DELETE", s.url("d"), { headers: untagged })).status, 412);
  const tagged = [`If: <${s.url("d/locked.txt")}> (<${tokenOf(lock)}>)`];
  const ok = await davCurl("DELETE", s.url("d"), { headers: tagged });
  assert.equal(ok.status, 204);
  // The lock went with its resource: a new file of that name is free.
  await Deno.mkdir(`${s.root}/d`);
  assert.equal((await davCurl("PUT", s.url("d/locked.txt"), { body: "y" })).status, 201);
});

Deno.test("switches: 405 with Allow for methods off, 401 without credentials, read-only server", async () => {
  await using s = await davServer({ delete: false, mkdir: false });
  const del = await davCurl("DELETE", s.url("x"));
  assert.equal(del.status, 405);
  assert.ok(!del.headers.get("allow")!.includes("DELETE"));
  assert.ok(!del.headers.get("allow")!.includes("MOVE"), "MOVE needs --delete too");
  assert.equal((await davCurl("MOVE", s.url("x"), { headers: [`Destination: /y`] })).status, 405);
  assert.equal((await davCurl("MKCOL", s.url("x"))).status, 405);
  assert.equal((await davCurl("PUT", s.url("x"), { body: "x", creds: null })).status, 401);
  assert.equal((await davCurl("PUT", s.url("x"), { body: "x", creds: "alice:wrong" })).status, 401);
  assert.equal((await davCurl("PUT", s.url("x"), { body: "x" })).status, 201);
  assert.equal(
    (await davCurl("PROPFIND", s.url(""), { headers: ["Depth: 0"], creds: null })).status,
    207,
  );
  await using ro = await davServer({ upload: false, mkdir: false, delete: false, auth: undefined });
  for (const m of ["PUT", "PROPPATCH", "LOCK", "COPY", "MOVE", "MKCOL", "DELETE"]) {
    const r = await davCurl(m, ro.url("x"), { creds: null });
    assert.equal(r.status, 405, m);
    assert.equal(r.headers.get("allow"), "OPTIONS, GET, HEAD, PROPFIND");
  }
  await using closed = await davServer({ authRead: true });
  const anon = await davCurl("PROPFIND", closed.url(""), { headers: ["Depth: 0"], creds: null });
  assert.equal(anon.status, 401);
  assert.equal(
    (await davCurl("PROPFIND", closed.url(""), { headers: ["Depth: 0"], creds: CREDS })).status,
    207,
  );
});
