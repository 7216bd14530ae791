// WebDAV state shared through the file system and the attacks on it:
// locks that expire on a virtual clock, locks and dead properties seen by
// every instance on one folder (plain HTTP writes included), two clients
// racing for one lock, properties travelling with MOVE and COPY and
// vanishing with DELETE, a MOVE racing GETs, the traversal corpus through
// Destination, huge bodies, and Finder's metadata files.

import assert from "node:assert/strict";
import { createHttpHandler, type HttpHandler } from "../http/app.ts";
import type { StaticOptions } from "../http/options.ts";
import { makeFixture, SECRET, serve } from "./http_helpers.ts";
import { tempDir } from "./temp_dir.ts";
import { CORPUS } from "./traversal_corpus.ts";
import { CREDS, DAV_OPTIONS, lockBody } from "./webdav_helpers.ts";

const AUTH = `Basic ${btoa(CREDS)}`;

async function handler(root: string, o: Partial<StaticOptions> = {}): Promise<HttpHandler> {
  return await createHttpHandler({ root, ...DAV_OPTIONS, compress: false, ...o });
}

async function call(
  h: HttpHandler,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await h.handle(
    new Request(`http://127.0.0.1:8000${path}`, {
      method,
      headers: { authorization: AUTH, ...headers },
      body,
    }),
  );
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const lockOf = async (h: HttpHandler, path: string, timeout = "Second-60", scope?: "shared") => {
  const r = await call(h, "LOCK", path, { timeout }, lockBody(scope));
  return { ...r, token: r.headers.get("lock-token")?.slice(1, -1) ?? "" };
};

const propOf = (ns: string, name: string) =>
  `<propfind xmlns="DAV:"><prop><${name} xmlns="${ns}"/></prop></propfind>`;
const setProp = (value: string) =>
  `<propertyupdate xmlns="DAV:"><set><prop><k xmlns="urn:t">${value}</k></prop></set></propertyupdate>`;

Deno.test("a lock expires on its own (virtual clock); a refresh pushes the end back", async () => {
  await using dir = await tempDir("dav-clock-");
  let now = 1_000_000;
  const h = await handler(dir.path, { clock: () => now });
  try {
    await Deno.writeTextFile(dir.join("f"), "x");
    const l = await lockOf(h, "/f", "Second-10");
    assert.equal(l.status, 200);
    now += 9_000;
    assert.equal((await call(h, "PUT", "/f", {}, "y")).status, 423);
    assert.equal(
      (await call(h, "LOCK", "/f", { if: `(<${l.token}>)`, timeout: "Second-10" })).status,
      200,
    );
    now += 9_000;
    assert.equal((await call(h, "PUT", "/f", {}, "y")).status, 423, "refreshed 9 s ago");
    const held = await call(h, "PROPFIND", "/f", { depth: "0" }, propOf("DAV:", "lockdiscovery"));
    assert.ok(held.text.includes(`<D:href>${l.token}</D:href>`), held.text);
    now += 1_001;
    assert.equal((await call(h, "PUT", "/f", {}, "y")).status, 204, "expired");
    const pf = await call(h, "PROPFIND", "/f", { depth: "0" }, propOf("DAV:", "lockdiscovery"));
    assert.ok(pf.text.includes("<D:lockdiscovery></D:lockdiscovery>"), pf.text);
  } finally {
    h.close();
  }
});

Deno.test("instances sharing a folder share locks and properties; plain writes honour locks", async () => {
  await using dir = await tempDir("dav-shared-");
  const a = await handler(dir.path);
  const b = await handler(dir.path);
  const plain = await handler(dir.path, { webdav: false });
  try {
    await Deno.mkdir(dir.join("d"));
    await Deno.writeTextFile(dir.join("d/f.txt"), "x");
    const l = await lockOf(a, "/d/", "Second-60");
    assert.equal(l.status, 200);
    assert.equal((await call(b, "PUT", "/d/f.txt", {}, "b")).status, 423);
    assert.equal((await call(b, "PUT", "/d/new.txt", {}, "b")).status, 423, "membership is locked");
    assert.equal((await call(plain, "PUT", "/d/f.txt", {}, "p")).status, 423);
    assert.equal((await call(plain, "DELETE", "/d/f.txt")).status, 423);
    assert.equal((await call(plain, "MKCOL", "/d/sub")).status, 423);
    assert.equal((await call(b, "PUT", "/d/f.txt", { if: `(<${l.token}>)` }, "b")).status, 204);
    assert.equal(
      (await call(b, "PROPPATCH", "/d/f.txt", { if: `(<${l.token}>)` }, setProp("shared"))).status,
      207,
    );
    const seen = await call(a, "PROPFIND", "/d/f.txt", { depth: "0" }, propOf("urn:t", "k"));
    assert.ok(seen.text.includes(`<k xmlns="urn:t">shared</k>`), seen.text);
    assert.equal((await call(b, "UNLOCK", "/d/", { "lock-token": `<${l.token}>` })).status, 204);
    assert.equal(
      (await call(plain, "PUT", "/d/f.txt", {}, "p")).status,
      409,
      "free again (no --overwrite)",
    );
  } finally {
    a.close();
    b.close();
    plain.close();
  }
});

Deno.test("two clients racing for one exclusive lock through two instances: exactly one wins", async () => {
  await using dir = await tempDir("dav-race-");
  const a = await handler(dir.path);
  const b = await handler(dir.path);
  try {
    await Deno.writeTextFile(dir.join("f"), "x");
    for (let round = 0; round < 5; round++) {
      const tries = await Promise.all(
        Array.from({ length: 12 }, (_, i) => lockOf(i % 2 ? a : b, "/f")),
      );
      const won = tries.filter((t) => t.status === 200);
      assert.equal(won.length, 1, tries.map((t) => t.status).join(","));
      assert.ok(tries.every((t) => t.status === 200 || t.status === 423));
      assert.equal(
        (await call(a, "UNLOCK", "/f", { "lock-token": `<${won[0].token}>` })).status,
        204,
      );
    }
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("dead properties travel with MOVE and COPY, stay over PUT, vanish with DELETE", async () => {
  await using dir = await tempDir("dav-props-");
  const h = await handler(dir.path);
  const k = async (path: string) => {
    const r = await call(h, "PROPFIND", path, { depth: "0" }, propOf("urn:t", "k"));
    return /<k xmlns="urn:t">(.*?)<\/k>/.exec(r.text)?.[1] ?? null;
  };
  try {
    await Deno.mkdir(dir.join("d"));
    await Deno.writeTextFile(dir.join("d/f"), "x");
    assert.equal((await call(h, "PROPPATCH", "/d/f", {}, setProp("file"))).status, 207);
    assert.equal((await call(h, "PROPPATCH", "/d/", {}, setProp("folder"))).status, 207);
    assert.equal((await call(h, "PROPPATCH", "/", {}, setProp("root"))).status, 207);
    assert.equal((await call(h, "PUT", "/d/f", {}, "new bytes")).status, 204);
    assert.equal(await k("/d/f"), "file", "a PUT keeps the properties");
    assert.equal((await call(h, "MOVE", "/d/f", { destination: "/d/g" })).status, 201);
    assert.equal(await k("/d/g"), "file");
    assert.equal(await k("/"), "root");
    assert.equal((await call(h, "COPY", "/d/", { destination: "/e/" })).status, 201);
    assert.equal(await k("/e/"), "folder");
    assert.equal(await k("/e/g"), "file", "members' properties copied with the tree");
    assert.equal((await call(h, "MOVE", "/e/", { destination: "/m/" })).status, 201);
    assert.equal(await k("/m/"), "folder");
    assert.equal(await k("/m/g"), "file");
    assert.equal((await call(h, "DELETE", "/d/g")).status, 204);
    await Deno.writeTextFile(dir.join("d/g"), "a stranger");
    assert.equal(await k("/d/g"), null, "a new file of the name has none");
    assert.equal((await call(h, "DELETE", "/m/")).status, 204);
    assert.equal((await call(h, "MKCOL", "/m")).status, 201);
    assert.equal(await k("/m/"), null);
    // The side files are the jail's own: never listed, never served.
    assert.ok([400, 404].includes((await call(h, "GET", "/d/.netkit-props/g")).status));
    const listing = await call(h, "PROPFIND", "/d/", { depth: "1" });
    assert.ok(!listing.text.includes(".netkit"), listing.text);
    // A folder whose only entry is the side folder counts as empty.
    const plain = await handler(dir.path, { webdav: false });
    assert.equal((await call(h, "PROPPATCH", "/m/", {}, setProp("m"))).status, 207);
    await Deno.writeTextFile(dir.join("m/x"), "x");
    assert.equal((await call(h, "PROPPATCH", "/m/x", {}, setProp("x"))).status, 207);
    assert.equal((await call(plain, "DELETE", "/m/x")).status, 204);
    assert.equal((await call(plain, "DELETE", "/m")).status, 204);
    plain.close();
  } finally {
    h.close();
  }
});

Deno.test("a MOVE racing GETs: every GET sees a whole file or none", async () => {
  await using dir = await tempDir("dav-move-get-");
  const h = await handler(dir.path);
  try {
    const bytes = "0123456789".repeat(50_000);
    await Deno.writeTextFile(dir.join("a"), bytes);
    let moving = true;
    const mover = (async () => {
      for (let i = 0; i < 40; i++) {
        const [from, to] = i % 2 ? ["/b", "/a"] : ["/a", "/b"];
        assert.equal((await call(h, "MOVE", from, { destination: to })).status, 201);
      }
      moving = false;
    })();
    let whole = 0;
    for (let i = 0; i < 2000 && moving; i++) {
      const r = await call(h, "GET", i % 2 ? "/a" : "/b");
      if (r.status === 200) {
        assert.equal(r.text.length, bytes.length);
        whole++;
      } else assert.ok([404, 503].includes(r.status), String(r.status));
    }
    await mover;
    assert.ok(whole > 0);
  } finally {
    h.close();
  }
});

Deno.test("the traversal corpus through Destination: refused, nothing leaves the root", async () => {
  await using fx = await makeFixture();
  await Deno.symlink(`${fx.base}/root2/secret.txt`, `${fx.root}/sibling.txt`);
  const h = await handler(fx.root);
  try {
    for (const target of CORPUS) {
      for (const method of ["COPY", "MOVE"]) {
        for (const dest of [target, `http://127.0.0.1:8000${target}`]) {
          const r = await call(h, method, "/hello.txt", { destination: dest, overwrite: "F" });
          assert.ok(
            [400, 403, 404, 409, 412, 502].includes(r.status),
            `${method} -> ${dest}: ${r.status}`,
          );
        }
      }
    }
    assert.equal(await Deno.readTextFile(`${fx.root}/hello.txt`), "hello, world\n");
    assert.deepEqual([...Deno.readDirSync(`${fx.base}/outside`)].map((e) => e.name), [
      "secret.txt",
    ]);
    assert.deepEqual([...Deno.readDirSync(`${fx.base}/root2`)].map((e) => e.name), ["secret.txt"]);
    const r = await call(h, "PROPFIND", "/", { depth: "1" });
    assert.ok(!r.text.includes(SECRET));
  } finally {
    h.close();
  }
});

Deno.test("a huge XML body is refused with 413 before it is read (real socket)", async () => {
  await using dir = await tempDir("dav-huge-");
  await using s = await serve({ root: dir.path, webdav: true });
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.addr.port });
  await conn.write(new TextEncoder().encode(
    "PROPFIND / HTTP/1.1\r\nHost: 127.0.0.1\r\nDepth: 0\r\nContent-Length: 104857600\r\n\r\n<propfind",
  ));
  const buf = new Uint8Array(4096);
  let head = "";
  for (let i = 0; i < 100 && !head.includes("\r\n\r\n"); i++) {
    const n = await conn.read(buf);
    if (n === null) break;
    head += new TextDecoder().decode(buf.subarray(0, n));
  }
  assert.match(head, /^HTTP\/1.1 413/);
});

Deno.test("Finder's metadata files: refused, or accepted and never kept (--macos-files hide)", async () => {
  await using dir = await tempDir("dav-mac-");
  const refuse = await handler(dir.path, { hidden: true });
  const hide = await handler(dir.path, { hidden: true, macosFiles: "hide" });
  try {
    assert.equal((await call(refuse, "PUT", "/._a.txt", {}, "meta")).status, 403);
    assert.equal((await call(refuse, "PUT", "/.DS_Store", {}, "meta")).status, 403);
    assert.equal((await call(hide, "PUT", "/._a.txt", {}, "meta")).status, 201);
    assert.equal((await call(hide, "LOCK", "/._a.txt", {}, lockBody())).status, 200);
    assert.equal((await call(hide, "GET", "/._a.txt")).status, 404);
    assert.equal((await call(hide, "PROPFIND", "/._a.txt", { depth: "0" })).status, 404);
    assert.equal((await call(hide, "DELETE", "/._a.txt")).status, 204);
    assert.deepEqual([...Deno.readDirSync(dir.path)], []);
    await Deno.writeTextFile(dir.join(".DS_Store"), "left by a local Finder");
    const list = await call(hide, "PROPFIND", "/", { depth: "1" });
    assert.ok(!list.text.includes("DS_Store"), list.text);
    const keep = await handler(dir.path, { hidden: true, macosFiles: "keep" });
    assert.equal((await call(keep, "PUT", "/._a.txt", {}, "meta")).status, 201);
    keep.close();
  } finally {
    refuse.close();
    hide.close();
  }
});
