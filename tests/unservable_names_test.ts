// Names the jail refuses (issue 17, item 2) are legal file names on Linux:
// real files with them are left out of every listing and archive (the file
// service's LIST and `netkit client ls`, the HTTP page and JSON, zip and
// tar.gz) and refused by every service (TFTP too), so nothing is listed that
// cannot be fetched. The archive writers make any member name safe on their
// own as well (checked with unzip/zipinfo and tar).

import assert from "node:assert/strict";
import { tempDir } from "./temp_dir.ts";
import { serve as serveHttp } from "./http_helpers.ts";
import { connect, serve as serveFiles } from "./file_helpers.ts";
import { runNetkit } from "./cli_helpers.ts";
import { memorySink, startServer as startTftp } from "./tftp_helpers.ts";
import { tftpGet } from "../tftp/client.ts";
import { Library } from "../core/library/library.ts";
import { zipChunks } from "../http/zip.ts";
import { tarStream } from "../http/tar.ts";
import type { ArchiveEntry } from "../http/archive_entry.ts";

/** Names Linux allows and the jail refuses, each a real file in the tests below. */
const REFUSED = [
  "c:x.txt",
  "a\\b.txt",
  "%41%2e%2e.txt",
  "a\nb.txt",
  "a\x1b[31m.txt",
  "x\\..\\..\\..\\evil.txt",
  "C:\\Windows\\evil.txt",
  "a\u0085b.txt",
];

/** A library with one good file, the refused names, and folders good and bad. */
async function hostileLibrary() {
  const dir = await tempDir("names-");
  await Deno.writeTextFile(dir.join("ok.txt"), "ok");
  for (const n of REFUSED) await Deno.writeTextFile(dir.join(n), "evil");
  await Deno.mkdir(dir.join("sub"));
  await Deno.writeTextFile(dir.join("sub", "good.txt"), "good");
  await Deno.writeTextFile(dir.join("sub", "d:y.txt"), "evil");
  await Deno.mkdir(dir.join("bad\\dir"));
  await Deno.writeTextFile(dir.join("bad\\dir", "inner.txt"), "evil");
  return dir;
}

function has(cmd: string, arg = "-h"): boolean {
  try {
    new Deno.Command(cmd, { args: [arg], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}
const UNZIP = has("unzip");
const ZIPINFO = has("zipinfo");

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  assert.equal(out.code, 0, `${cmd} ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

/** Member names of a zip file, one a line, as `unzip -Z1` prints them. */
async function zipNames(path: string): Promise<string[]> {
  return (await run("unzip", ["-Z1", path])).split("\n").filter((l) => l !== "").sort();
}

/** Member names of a tar.gz file, as `tar -tzf` prints them. */
async function tarNames(path: string): Promise<string[]> {
  return (await run("tar", ["-tzf", path])).split("\n").filter((l) => l !== "").sort();
}

Deno.test("library: entries leave out every name the jail refuses, and over-long paths", async () => {
  await using dir = await hostileLibrary();
  const lib = await Library.open(dir.path);
  assert.deepEqual((await lib.list([])).map((e) => e.name), ["ok.txt", "sub"]);
  assert.deepEqual((await lib.list(["sub"])).map((e) => e.name), ["good.txt"]);
  // A path past the jail's 4096 bytes is refused as a whole, so not listed either.
  const deep = Array(16).fill("x".repeat(250));
  assert.equal(lib.isServable(deep, "y".repeat(70)), true);
  assert.equal(lib.isServable(deep, "y".repeat(90)), false);
});

Deno.test("file service: LIST and `netkit client ls` show only names that can be fetched", async () => {
  await using dir = await hostileLibrary();
  await using server = await serveFiles(dir.path);
  await using client = await connect(server);
  await using local = await tempDir("names-local-");
  assert.deepEqual((await client.list()).map((e) => e.name), ["ok.txt"]);
  for (const n of REFUSED) {
    await assert.rejects(client.download(n, local.join("got")), { code: "INVALID_NAME" }, n);
  }
  const ls = await runNetkit(["client", `127.0.0.1:${server.addr.port}`, "ls"]);
  assert.equal(ls.code, 0, ls.stderr);
  for (const n of ["c:x", "a\\", "%41", "evil", "a\\x0a", "\x1b"]) {
    assert.ok(!ls.stdout.includes(n), `${JSON.stringify(n)} listed:\n${ls.stdout}`);
  }
  assert.match(ls.stdout, /ok\.txt\n1 file, 2 B/);
});

Deno.test("http: the listing page and its JSON show only names that can be fetched", async () => {
  await using dir = await hostileLibrary();
  await using s = await serveHttp({ root: dir.path });
  const json = await (await fetch(s.url, { headers: { accept: "application/json" } })).json();
  assert.deepEqual(json.entries.map((e: { name: string }) => e.name), ["sub", "ok.txt"]);
  const sub = await (await fetch(s.url + "sub/", { headers: { accept: "application/json" } }))
    .json();
  assert.deepEqual(sub.entries.map((e: { name: string }) => e.name), ["good.txt"]);
  const page = await (await fetch(s.url)).text();
  assert.ok(page.includes('href="./ok.txt"'), page);
  for (const n of [...REFUSED, "bad\\dir"]) {
    assert.ok(!page.includes(`./${encodeURIComponent(n)}`), `${JSON.stringify(n)} listed`);
  }
  for (const n of REFUSED) {
    const r = await fetch(s.url + encodeURIComponent(n));
    await r.body?.cancel();
    assert.ok(r.status === 400 || r.status === 404, `${JSON.stringify(n)}: ${r.status}`);
  }
});

Deno.test({
  name: "http: ?archive=zip and tar.gz hold only names that can be fetched (unzip -Z1, tar -tzf)",
  ignore: !UNZIP,
  async fn() {
    await using dir = await hostileLibrary();
    await using out = await tempDir("names-out-");
    await using s = await serveHttp({ root: dir.path });
    for (const format of ["zip", "tar.gz"]) {
      const res = await fetch(`${s.url}?archive=${format}`);
      assert.equal(res.status, 200);
      const file = out.join(`all.${format}`);
      await Deno.writeFile(file, new Uint8Array(await res.arrayBuffer()));
      const names = format === "zip" ? await zipNames(file) : await tarNames(file);
      assert.deepEqual(names, ["ok.txt", "sub/", "sub/good.txt"], format);
    }
  },
});

Deno.test("tftp: every name the jail refuses is refused, the good one served", async () => {
  await using dir = await hostileLibrary();
  await using server = await startTftp(dir.path);
  const o = { hostname: "127.0.0.1", port: server.addr.port, timeoutMs: 500, retries: 2 };
  const sink = memorySink();
  await tftpGet("ok.txt", sink, o);
  assert.equal(new TextDecoder().decode(sink.bytes()), "ok");
  for (const n of REFUSED) {
    await assert.rejects(tftpGet(n, memorySink(), o), { code: "FORBIDDEN" }, JSON.stringify(n));
  }
});

/** Archive entries with hostile names, as a writer might get them from elsewhere. */
async function* hostileEntries(): AsyncGenerator<ArchiveEntry> {
  const names = [
    "x\\..\\..\\..\\evil.txt",
    "C:\\Windows\\evil.txt",
    "/etc/evil.txt",
    "../../evil.txt",
    "a/../../b.txt",
    "d:y.txt",
    "a/.. /c.txt",
    "e\u001b[31m.txt",
    "ok/fine.txt",
  ];
  for (const name of names) {
    yield {
      name,
      dir: false,
      size: 1,
      mtimeMs: 0,
      mode: 0o644,
      open: () => Promise.resolve(ReadableStream.from([new Uint8Array([120])])),
    };
  }
}

const SAFE_NAMES = [
  "C__Windows_evil.txt",
  "__/__/evil.txt",
  "a/___/c.txt",
  "a/__/__/b.txt",
  "d_y.txt",
  "e_[31m.txt",
  "etc/evil.txt",
  "ok/fine.txt",
  "x_.._.._.._evil.txt",
].sort();

Deno.test({
  name: "zip and tar writers store hostile names safely (zipinfo -1, tar -tvzf)",
  ignore: !ZIPINFO,
  async fn() {
    await using out = await tempDir("names-w-");
    const zip = out.join("w.zip");
    await Deno.writeFile(zip, await collect(ReadableStream.from(zipChunks(hostileEntries()))));
    const z = (await run("zipinfo", ["-1", zip])).split("\n").filter((l) => l !== "").sort();
    assert.deepEqual(z, SAFE_NAMES);
    const tgz = out.join("w.tar.gz");
    const gz = tarStream(hostileEntries()).pipeThrough(
      new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    );
    await Deno.writeFile(tgz, await collect(gz));
    const t = (await run("tar", ["-tvzf", tgz])).split("\n").filter((l) => l !== "")
      .map((l) => l.split(/\s+/).slice(5).join(" ")).sort();
    assert.deepEqual(t, SAFE_NAMES);
  },
});

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
