// Uploads and other writes: curl -T, credentials (401), create-only (409)
// and its race, size limits (413), resume with Content-Range and PATCH
// (offsets past 4 GiB), a client dying mid-upload, --mkdir, --delete, and the
// cross-site checks. Through the handler (`Request -> Response`, no socket),
// except on a real server (`setupServer`): curl as the peer (curl -T, the
// resume test with curl -C, the 4 GiB upload), targets the URL parser would
// rewrite (raw TCP), a client that dies mid-body, an upload that stalls, and
// --workers 2.

import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { curl, rawRequest, serve } from "./http_helpers.ts";
import { handlerFor, ORIGIN } from "./http_handler_helpers.ts";
import { holdLock } from "./lock_holder.ts";
import { Prng } from "./prng.ts";
import { tempDir } from "./temp_dir.ts";
import { PARTIAL_PREFIX } from "../core/library/part_files.ts";
import { TEMP_PREFIX } from "../core/library/temp_files.ts";
import { partNameOf } from "../core/library/part_files.ts";
import type { HttpServerOptions } from "../http/options.ts";

const USER = ["-u", "alice:s3cret"];
const AUTH = { authorization: `Basic ${btoa("alice:s3cret")}` };

/** The options every test starts from: uploads on, with Basic credentials. */
const UPLOADS = { upload: true, auth: "alice:s3cret" };

/** An empty `root/` in a temp folder, and the handler serving it. */
async function setup(o: Partial<HttpServerOptions> = {}) {
  const dir = await tempDir("upload-");
  await Deno.mkdir(dir.join("root"));
  const h = await handlerFor({ root: dir.join("root"), ...UPLOADS, ...o });
  return {
    dir,
    root: dir.join("root"),
    fetch: h.fetch,
    async [Symbol.asyncDispose]() {
      await h[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** {@linkcode setup} with a real server on port 0 for what needs the wire. */
async function setupServer(o: Partial<HttpServerOptions> = {}) {
  const dir = await tempDir("upload-");
  await Deno.mkdir(dir.join("root"));
  const server = await serve({ root: dir.join("root"), ...UPLOADS, ...o });
  return {
    dir,
    server,
    root: dir.join("root"),
    url: (p: string) => server.url + p,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
}

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

/**
 * Polls `check` every 10 ms until it holds (the server notices a dead client
 * on its own time), for at most 30 s: a bound for a hung server, not a
 * deadline a busy machine could miss.
 */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

Deno.test("curl -T uploads with credentials; without them 401 and nothing written", async () => {
  await using s = await setupServer();
  const src = s.dir.join("src.bin");
  const bytes = new Prng(1).bytes(200_000) as Uint8Array<ArrayBuffer>;
  await Deno.writeFile(src, bytes);
  const denied = await curl(["-T", src, "-D", "-", "-o", "/dev/null", s.url("a.bin")]);
  assert.ok(/^HTTP\/1.1 401/m.test(denied.text), denied.text);
  assert.ok(/^www-authenticate: Basic realm="netkit"/im.test(denied.text), denied.text);
  const wrong = await curl(["-T", src, "-u", "alice:nope", "-w", "%{http_code}", s.url("a.bin")]);
  assert.ok(wrong.text.endsWith("401"), wrong.text);
  assert.deepEqual(await entries(s.root), []);
  const ok = await curl(["-T", src, ...USER, "-w", "%{http_code}", s.url("a.bin")]);
  assert.ok(ok.text.endsWith("201"), ok.text);
  assertSameBytes(await Deno.readFile(`${s.root}/a.bin`), bytes);
  const again = await curl(["-T", src, ...USER, "-w", "%{http_code}", s.url("a.bin")]);
  assert.ok(again.text.endsWith("409"), again.text);
  assert.deepEqual(await entries(s.root), ["a.bin"]);
});

Deno.test("a bearer token (also the page's quiet challenge) and --overwrite", async () => {
  await using s = await setup({ auth: undefined, token: "t0k3n", overwrite: true });
  const put = (body: string, auth: string, extra: Record<string, string> = {}) =>
    s.fetch("/t.txt", { method: "PUT", body, headers: { authorization: auth, ...extra } });
  let r = await put("one", "Bearer wrong", { "x-netkit": "1" });
  assert.equal(r.status, 401);
  assert.equal(r.headers.get("www-authenticate"), 'Netkit-Bearer realm="netkit", charset="UTF-8"');
  await r.body?.cancel();
  r = await put("one", "Bearer t0k3n");
  assert.equal(r.status, 201);
  await r.body?.cancel();
  r = await put("two", "Bearer t0k3n");
  assert.equal(r.status, 201);
  await r.body?.cancel();
  assert.equal(await Deno.readTextFile(`${s.root}/t.txt`), "two");
});

Deno.test("of two uploads racing to one new name exactly one wins, the other gets 409", async () => {
  await using s = await setup();
  const release = Promise.withResolvers<void>();
  const body = (byte: number) =>
    new ReadableStream<Uint8Array>({
      async start(c) {
        c.enqueue(new Uint8Array(1000).fill(byte));
        await release.promise;
        c.enqueue(new Uint8Array(1000).fill(byte));
        c.close();
      },
    });
  const send = (byte: number) =>
    s.fetch("/race.bin", { method: "PUT", body: body(byte), headers: AUTH }).then(
      async (r) => (await r.body?.cancel(), r.status),
    );
  const a = send(1);
  const b = send(2);
  // Both are past the existence check and writing their temp files.
  await eventually(
    async () => (await entries(s.root)).filter((n) => n.startsWith(TEMP_PREFIX)).length === 2,
    "two temp files",
  );
  release.resolve();
  const statuses = (await Promise.all([a, b])).sort();
  assert.deepEqual(statuses, [201, 409]);
  const data = await Deno.readFile(`${s.root}/race.bin`);
  assert.equal(data.length, 2000);
  assert.ok(data.every((x) => x === data[0]), "the winner's bytes, whole");
  assert.deepEqual(await entries(s.root), ["race.bin"]);
});

Deno.test("--max-upload: 413 from Content-Length before reading, and counted when streamed", async () => {
  await using s = await setup({ maxUpload: 1000 });
  // Content-Length says 5000: refused before a byte of the body is read.
  let read = 0;
  const announced = new ReadableStream<Uint8Array>({
    pull(c) {
      read++;
      if (read > 5) c.close();
      else c.enqueue(new Uint8Array(1000));
    },
  }, { highWaterMark: 0 });
  const r1 = await s.fetch("/big", {
    method: "PUT",
    body: announced,
    headers: { ...AUTH, "content-length": "5000" },
  });
  assert.equal(r1.status, 413);
  await r1.body?.cancel();
  assert.equal(read, 0, "the body was read");
  // No Content-Length: a chunked body is counted while it streams.
  const chunked = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new Uint8Array(400));
    },
  });
  const r2 = await s.fetch("/big", { method: "PUT", body: chunked, headers: AUTH });
  assert.equal(r2.status, 413);
  await r2.body?.cancel();
  const small = await s.fetch("/ok", { method: "PUT", body: "x".repeat(1000), headers: AUTH });
  assert.equal(small.status, 201);
  await small.body?.cancel();
  assert.deepEqual(await entries(s.root), ["ok"]);
});

Deno.test("resume: Content-Range slices, 416 with the offset, curl -C, and PATCH", async () => {
  await using s = await setupServer();
  const bytes = new Prng(2).bytes(300_000) as Uint8Array<ArrayBuffer>;
  const src = s.dir.join("r.bin");
  await Deno.writeFile(src, bytes);
  const first = s.dir.join("first");
  await Deno.writeFile(first, bytes.subarray(0, 100_000));
  // The first 100,000 bytes as a slice; curl prints the response's headers.
  const range = "Content-Range: bytes 0-99999/300000";
  const sendFirst = () =>
    curl(["-T", first, ...USER, "-D", "-", "-o", "/dev/null", "-H", range, s.url("r.bin")]);
  let r = await sendFirst();
  assert.ok(/^HTTP\/1.1 202/m.test(r.text) && /^upload-offset: 100000/im.test(r.text), r.text);
  assert.deepEqual(
    (await entries(s.root)).filter((n) => !n.startsWith(PARTIAL_PREFIX)),
    [],
    "nothing but the part file while partial",
  );
  r = await sendFirst();
  assert.ok(/^HTTP\/1.1 416/m.test(r.text) && /^upload-offset: 100000/im.test(r.text), r.text);
  // curl -C sends Content-Range for the rest of the file.
  r = await curl([
    "-T",
    src,
    "-C",
    "100000",
    ...USER,
    "-w",
    "%{http_code}",
    "-o",
    "/dev/null",
    s.url("r.bin"),
  ]);
  assert.equal(r.text, "201");
  assertSameBytes(await Deno.readFile(`${s.root}/r.bin`), bytes);
  // PATCH with Upload-Offset / Upload-Length, in two parts.
  const patch = (start: number, part: Uint8Array<ArrayBuffer>) =>
    fetch(s.url("p.bin"), {
      method: "PATCH",
      body: part,
      headers: { ...AUTH, "upload-offset": String(start), "upload-length": "300000" },
    });
  let p = await patch(0, bytes.subarray(0, 123_456));
  assert.deepEqual([p.status, p.headers.get("upload-offset")], [202, "123456"]);
  await p.body?.cancel();
  p = await patch(123_456, bytes.subarray(123_456));
  assert.equal(p.status, 201);
  await p.body?.cancel();
  assertSameBytes(await Deno.readFile(`${s.root}/p.bin`), bytes);
  assert.deepEqual(await entries(s.root), ["p.bin", "r.bin"], "part files gone once published");
});

Deno.test({
  name: "resume past 4 GiB: the last slice of a 4 GiB + 16 byte upload lands and is published",
  ignore: Deno.build.os === "windows", // needs a sparse file
}, async () => {
  await using s = await setup();
  const total = 2 ** 32 + 16;
  const probe = await s.fetch("/huge.bin", {
    method: "PUT",
    headers: { ...AUTH, "content-range": `bytes */${total}` },
  });
  assert.deepEqual([probe.status, probe.headers.get("upload-offset")], [200, "0"]);
  await probe.body?.cancel();
  const first = await s.fetch("/huge.bin", {
    method: "PUT",
    body: new Uint8Array(1),
    headers: { ...AUTH, "content-range": `bytes 0-0/${total}` },
  });
  assert.equal(first.status, 202, await first.text());
  // Stand in for the first 4 GiB with a sparse part file of that length.
  await Deno.truncate(`${s.root}/${partNameOf("huge.bin", total)}`, 2 ** 32 + 8);
  const tail = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const r = await s.fetch("/huge.bin", {
    method: "PUT",
    body: tail,
    headers: { ...AUTH, "content-range": `bytes ${2 ** 32 + 8}-${total - 1}/${total}` },
  });
  assert.equal(r.status, 201, await r.text());
  const f = await Deno.open(`${s.root}/huge.bin`);
  try {
    assert.equal((await f.stat()).size, total);
    await f.seek(2 ** 32 + 7, Deno.SeekMode.Start);
    const got = new Uint8Array(9);
    assert.equal(await f.read(got), 9);
    assert.deepEqual(got, new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8]));
  } finally {
    f.close();
  }
});

Deno.test("a resumable slice waits for a part file another writer holds: 409 if it is held on, stored once let go", async () => {
  await using s = await setup();
  const total = 10;
  // Another writer (another netkit on a shared folder, say) holds the part file.
  const part = `${s.root}/${partNameOf("held.bin", total)}`;
  await Deno.writeFile(part, new Uint8Array(0));
  using holder = await holdLock(part);
  const slice = (body: string, range: string) =>
    s.fetch("/held.bin", {
      method: "PUT",
      body,
      headers: { ...AUTH, "content-range": `bytes ${range}/${total}` },
    });
  const t0 = performance.now();
  const busy = await slice("01234", "0-4");
  assert.equal(busy.status, 409, await busy.text());
  assert.ok(performance.now() - t0 >= 900, "refused without waiting for the lock");
  const attempt = slice("01234", "0-4");
  holder.releaseAfter(50);
  const first = await attempt;
  await first.body?.cancel();
  assert.ok(first.ok, `first slice: ${first.status}`);
  const last = await slice("56789", "5-9");
  assert.equal(last.status, 201, await last.text());
  assert.equal(await Deno.readTextFile(`${s.root}/held.bin`), "0123456789");
});

Deno.test("a client that dies mid-upload leaves nothing under the name and no temp file", async () => {
  await using s = await setupServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.server.addr.port });
  await conn.write(new TextEncoder().encode(
    `PUT /cut.bin HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH.authorization}\r\n` +
      `Content-Length: 100000\r\n\r\n` + "y".repeat(5000),
  ));
  await eventually(async () => (await entries(s.root)).length === 1, "the temp file");
  conn.close();
  await eventually(async () => (await entries(s.root)).length === 0, "the temp file removed");
});

Deno.test("--mkdir and --delete are opt-ins; names are jailed", async () => {
  await using s = await setup();
  const req = (method: string, path: string, body?: string) =>
    s.fetch("/" + path, { method, body, headers: AUTH }).then(async (r) => {
      await r.body?.cancel();
      return r.status;
    });
  assert.equal(await req("PUT", "a/b/c.txt", "x"), 409);
  assert.equal(await req("MKCOL", "a"), 405);
  assert.equal(await req("DELETE", "a"), 405);
  assert.equal(await req("POST", "x.txt", "x"), 405);
  assert.equal(await req("PUT", ".env", "x"), 400);
  assert.equal(await req("PUT", "dir/", "x"), 400);
  // Both decode to /../escape.txt (as /%2e%2e/escape.txt does over raw TCP, below).
  assert.equal(await req("PUT", "%2e%2e%2fescape.txt", "x"), 400);
  assert.equal(await req("PUT", "..%2fescape.txt", "x"), 400);
  assert.deepEqual(await entries(s.dir.path), ["root"]);
  assert.deepEqual(await entries(s.root), []);
  await using m = await setup({ mkdir: true, delete: true });
  const mreq = (method: string, path: string, body?: string) =>
    m.fetch("/" + path, { method, body, headers: AUTH }).then(async (r) => {
      await r.body?.cancel();
      return r.status;
    });
  assert.equal(await mreq("PUT", "a/b/c.txt", "x"), 201);
  assert.equal(await Deno.readTextFile(`${m.root}/a/b/c.txt`), "x");
  assert.equal(await mreq("MKCOL", "new"), 201);
  assert.equal(await mreq("MKCOL", "new"), 409);
  assert.equal(await mreq("DELETE", "a/b"), 409, "not empty");
  assert.equal(await mreq("DELETE", "a/b/c.txt"), 204);
  assert.equal(await mreq("DELETE", "a/b"), 204);
  assert.equal(await mreq("DELETE", "missing"), 404);
  assert.deepEqual(await entries(m.root), ["a", "new"]);
});

Deno.test("a PUT to a target the URL parser would rewrite, sent raw over TCP, is refused", async () => {
  await using s = await setupServer({ mkdir: true });
  for (const target of ["/%2e%2e/escape.txt", "/.%2e/escape.txt", "/../escape.txt"]) {
    const raw = await rawRequest(
      s.server.addr.port,
      target,
      "PUT",
      `Authorization: ${AUTH.authorization}\r\nContent-Length: 1\r\n\r\nx`,
    );
    assert.equal(raw.status, 400, target);
  }
  assert.deepEqual(await entries(s.dir.path), ["root"]);
  assert.deepEqual(await entries(s.root), []);
});

Deno.test("cross-site writes are refused; --cors never allows writes; --auth-read guards reads", async () => {
  await using s = await setup({ cors: true, authRead: true });
  const r = await s.fetch("/x.txt", {
    method: "PUT",
    body: "x",
    headers: { ...AUTH, origin: "https://evil.example" },
  });
  assert.equal(r.status, 403);
  await r.body?.cancel();
  const same = await s.fetch("/x.txt", {
    method: "PUT",
    body: "x",
    headers: { ...AUTH, origin: ORIGIN },
  });
  assert.equal(same.status, 201);
  await same.body?.cancel();
  const pre = await s.fetch("/x.txt", { method: "OPTIONS" });
  assert.ok(!(pre.headers.get("access-control-allow-methods") ?? "").includes("PUT"));
  await pre.body?.cancel();
  const anon = await s.fetch("/x.txt");
  assert.equal(anon.status, 401);
  await anon.body?.cancel();
  const zip = await s.fetch("/?archive=zip");
  assert.equal(zip.status, 401);
  await zip.body?.cancel();
  const ok = await s.fetch("/x.txt", { headers: AUTH });
  assert.deepEqual([ok.status, await ok.text()], [200, "x"]);
});

Deno.test("an upload that stalls gets 408 and leaves nothing", async () => {
  await using s = await setupServer({ stallTimeout: 200 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.server.addr.port });
  try {
    await conn.write(new TextEncoder().encode(
      `PUT /slow.bin HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH.authorization}\r\n` +
        `Content-Length: 1000\r\n\r\n` + "y".repeat(10),
    ));
    const buf = new Uint8Array(1024);
    const n = await conn.read(buf); // the answer comes without our sending more
    const head = new TextDecoder().decode(buf.subarray(0, n ?? 0));
    assert.ok(head.startsWith("HTTP/1.1 408"), head);
  } finally {
    conn.close();
  }
  await eventually(async () => (await entries(s.root)).length === 0, "the temp file removed");
});

Deno.test("300 parallel wrong passwords: a burst is checked, the rest get 429 at once, alice still signs in", async () => {
  // An interval of an hour: past the burst nothing could be admitted within
  // the wait allowed, whatever the machine's speed.
  await using s = await setupServer({
    authThrottle: { addressBurst: 5, addressIntervalMs: 3_600_000, accountBurst: 1000 },
  });
  // alice signed in from this address before the attack (a trusted pair).
  const first = await fetch(s.url("a.txt"), { method: "PUT", body: "a", headers: AUTH });
  assert.equal(first.status, 201);
  await first.body?.cancel();
  const statuses = await Promise.all(Array.from({ length: 300 }, (_, i) =>
    fetch(s.url("t.txt"), {
      method: "PUT",
      body: "x",
      headers: { authorization: `Basic ${btoa(`alice:guess-${i}`)}` },
    }).then(async (r) => (await r.body?.cancel(), r.status))));
  assert.equal(statuses.filter((c) => c === 401).length, 5);
  assert.equal(statuses.filter((c) => c === 429).length, 295);
  const again = await fetch(s.url("b.txt"), { method: "PUT", body: "b", headers: AUTH });
  assert.equal(again.status, 201, "alice's own address is not locked out");
  await again.body?.cancel();
});

Deno.test({
  name: "uploads work with --workers 2, and sweep a dead writer's temp file",
  // reusePort Workers and the dead-process check (/proc) are Linux-only.
  ignore: Deno.build.os !== "linux",
}, async () => {
  await using s = await setupServer({ workers: 2 });
  // A temp file of a process on this host that no longer runs.
  const stale = `${TEMP_PREFIX}${Deno.hostname().replaceAll(/[^A-Za-z0-9-]/g, "_")}.999999999.ab`;
  await Deno.writeTextFile(`${s.root}/${stale}`, "left over");
  for (const name of ["w1.txt", "w2.txt", "w3.txt"]) {
    const r = await fetch(s.url(name), { method: "PUT", body: name, headers: AUTH });
    assert.equal(r.status, 201);
    await r.body?.cancel();
  }
  await eventually(
    async () => (await entries(s.root)).join() === "w1.txt,w2.txt,w3.txt",
    "the stale temp file swept",
  );
});

Deno.test({
  name: "a 4 GiB + 1 byte upload streams through curl end to end (NETKIT_SLOW_TESTS only)",
  ignore: Deno.env.get("NETKIT_SLOW_TESTS") === undefined,
  async fn() {
    await using s = await setupServer();
    const size = 2 ** 32 + 1;
    // Generated on the fly and sent chunked: no 4 GiB source file.
    const out = await new Deno.Command("sh", {
      args: [
        "-c",
        `head -c ${size} /dev/zero | curl -sS -T - -u alice:s3cret -w '%{http_code}' -o /dev/null "$0"`,
        s.url("huge.bin"),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(out.stdout), "201", new TextDecoder().decode(out.stderr));
    assert.equal((await Deno.stat(`${s.root}/huge.bin`)).size, size);
  },
});
