import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { FileClient } from "../client/client.ts";
import { isNetkitError } from "../core/errors.ts";
import { brokenDownload, bytes, connect, namesIn, serve, tempDir } from "./file_helpers.ts";

Deno.test("file service: ls lists regular files with size and mtime, sorted", async () => {
  await using lib = await tempDir({ "b.txt": "bee", "a.txt": "a", ".env": "SECRET=1" });
  await Deno.mkdir(`${lib.path}/folder`);
  await using server = await serve(lib.path);
  await using client = await connect(server);
  const entries = await client.list();
  assert.deepEqual(entries.map((e) => [e.name, e.size]), [["a.txt", 1], ["b.txt", 3]]);
  const st = await Deno.stat(`${lib.path}/a.txt`);
  assert.equal(entries[0].mtimeMs, st.mtime!.getTime());
});

Deno.test("file service: --hidden lists and serves dot-files", async () => {
  await using lib = await tempDir({ ".env": "SECRET=1" });
  await using server = await serve(lib.path, { hidden: true });
  await using client = await connect(server);
  assert.deepEqual((await client.list()).map((e) => e.name), [".env"]);
});

Deno.test("file service: dot-files are refused without --hidden", async () => {
  await using lib = await tempDir({ ".env": "SECRET=1" });
  await using out = await tempDir();
  await using server = await serve(lib.path);
  await using client = await connect(server);
  await assert.rejects(client.download(".env", `${out.path}/env`), { code: "INVALID_NAME" });
  assert.deepEqual(await namesIn(out.path), []);
});

Deno.test("file service: put then get round-trips bytes exactly, verified", async () => {
  await using lib = await tempDir();
  await using local = await tempDir();
  const data = bytes(3 * 1024 * 1024 + 17, 7);
  await Deno.writeFile(`${local.path}/src.bin`, data);
  await using server = await serve(lib.path);
  await using client = await connect(server);
  const up = await client.upload(`${local.path}/src.bin`, "copy.bin");
  assert.equal(up.size, data.length);
  assertSameBytes(await Deno.readFile(`${lib.path}/copy.bin`), data);
  const down = await client.download("copy.bin", `${local.path}/back.bin`);
  assert.deepEqual(down.digest, up.digest);
  assertSameBytes(await Deno.readFile(`${local.path}/back.bin`), data);
  assert.deepEqual(await namesIn(local.path), ["back.bin", "src.bin"]);
});

Deno.test("file service: empty files and files of exactly one frame transfer", async () => {
  await using lib = await tempDir({ "empty": "" });
  await using local = await tempDir();
  await Deno.writeFile(`${local.path}/frame.bin`, bytes(1 << 20, 3));
  await using server = await serve(lib.path);
  await using client = await connect(server);
  await client.download("empty", `${local.path}/empty`);
  assert.equal((await Deno.stat(`${local.path}/empty`)).size, 0);
  await client.upload(`${local.path}/frame.bin`, "frame.bin");
  assertSameBytes(await Deno.readFile(`${lib.path}/frame.bin`), bytes(1 << 20, 3));
});

Deno.test("file service: sha256 is used when the client offers only sha256", async () => {
  await using lib = await tempDir({ "a.txt": "abc" });
  await using local = await tempDir();
  await using server = await serve(lib.path);
  const { FileClient } = await import("../client/client.ts");
  await using client = await FileClient.connect({
    port: server.addr.port,
    hashes: ["sha256"],
  });
  const r = await client.download("a.txt", `${local.path}/a.txt`);
  assert.equal(r.hash, "sha256");
  const hex = Array.from(r.digest, (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

Deno.test("file service: create-only by default, overwrite when asked", async () => {
  await using lib = await tempDir({ "x.txt": "old" });
  await using local = await tempDir({ "new.txt": "new content" });
  await using server = await serve(lib.path);
  await using client = await connect(server);
  await assert.rejects(client.upload(`${local.path}/new.txt`, "x.txt"), { code: "EXISTS" });
  assert.equal(await Deno.readTextFile(`${lib.path}/x.txt`), "old");
  await client.upload(`${local.path}/new.txt`, "x.txt", { overwrite: true });
  assert.equal(await Deno.readTextFile(`${lib.path}/x.txt`), "new content");
  assert.deepEqual(await namesIn(lib.path), ["x.txt"]);
});

Deno.test("file service: --read-only refuses uploads and says so in WELCOME", async () => {
  await using lib = await tempDir();
  await using local = await tempDir({ "a": "a" });
  await using server = await serve(lib.path, { readOnly: true });
  await using client = await connect(server);
  assert.ok(client.welcome.features & 128);
  await assert.rejects(client.upload(`${local.path}/a`, "a"), { code: "READ_ONLY" });
  assert.deepEqual(await namesIn(lib.path), []);
  assert.deepEqual(await client.list(), []); // the session goes on
});

Deno.test("file service: uploads over --max-upload get TOO_LARGE before any data", async () => {
  await using lib = await tempDir();
  await using local = await tempDir({ "big": bytes(2000) });
  await using server = await serve(lib.path, { maxUpload: 1000 });
  await using client = await connect(server);
  await assert.rejects(client.upload(`${local.path}/big`, "big"), { code: "TOO_LARGE" });
  assert.deepEqual(await namesIn(lib.path), []);
});

Deno.test("file service: a local file that exists is not overwritten by get", async () => {
  await using lib = await tempDir({ "a": "server" });
  await using local = await tempDir({ "a": "mine" });
  await using server = await serve(lib.path);
  await using client = await connect(server);
  await assert.rejects(client.download("a", `${local.path}/a`), { code: "EXISTS" });
  assert.equal(await Deno.readTextFile(`${local.path}/a`), "mine");
  await client.download("a", `${local.path}/a`, { overwrite: true });
  assert.equal(await Deno.readTextFile(`${local.path}/a`), "server");
  assert.deepEqual(await namesIn(local.path), ["a"]);
});

Deno.test("file service: get resumes from a part file and verifies the whole file", async () => {
  const data = bytes(2_500_000, 11);
  await using lib = await tempDir({ "f.bin": data });
  await using local = await tempDir();
  // A broken earlier download left the first 1,000,000 bytes.
  await brokenDownload(lib.join("f.bin"), local.join("f.bin"), data.subarray(0, 1_000_000));
  await using server = await serve(lib.path);
  await using client = await connect(server);
  const r = await client.download("f.bin", `${local.path}/f.bin`, { resume: true });
  assert.equal(r.transferred, 1_500_000);
  assertSameBytes(await Deno.readFile(`${local.path}/f.bin`), data);
  assert.deepEqual(await namesIn(local.path), ["f.bin"]);
});

Deno.test("file service: a resumed download over a corrupted part fails the check and leaves nothing", async () => {
  const data = bytes(300_000, 12);
  await using lib = await tempDir({ "f.bin": data });
  await using local = await tempDir();
  const bad = data.slice(0, 100_000);
  bad[500] ^= 0xff;
  await brokenDownload(lib.join("f.bin"), local.join("f.bin"), bad);
  await using server = await serve(lib.path);
  await using client = await connect(server);
  await assert.rejects(
    client.download("f.bin", `${local.path}/f.bin`, { resume: true }),
    (e: unknown) => isNetkitError(e, "CHECKSUM_MISMATCH"),
  );
  assert.deepEqual(await namesIn(local.path), []);
  assert.deepEqual(await client.list().then((l) => l.length), 1); // the session goes on
});

Deno.test("file service: a symlink inside the library is served, one leading outside is not", async () => {
  await using outside = await tempDir({ "secret": "top secret" });
  await using lib = await tempDir({ "real.txt": "real" });
  await using local = await tempDir();
  await Deno.symlink(`${lib.path}/real.txt`, `${lib.path}/alias.txt`);
  await Deno.symlink(`${outside.path}/secret`, `${lib.path}/escape`);
  await using server = await serve(lib.path);
  await using client = await connect(server);
  assert.deepEqual((await client.list()).map((e) => e.name), ["alias.txt", "real.txt"]);
  await client.download("alias.txt", `${local.path}/alias.txt`);
  assert.equal(await Deno.readTextFile(`${local.path}/alias.txt`), "real");
  await assert.rejects(client.download("escape", `${local.path}/escape`), { code: "FORBIDDEN" });
  assert.deepEqual(await namesIn(local.path), ["alias.txt"]);
});

Deno.test("file service: the traversal corpus is refused and nothing outside is read", async () => {
  await using outside = await tempDir({ "passwd": "root:x:0:0" });
  await using lib = await tempDir({ "ok.txt": "ok" });
  await using local = await tempDir();
  await using server = await serve(lib.path);
  await using client = await connect(server);
  const rel = outside.path.split("/").pop()!;
  const corpus = [
    "..",
    ".",
    "",
    `../${rel}/passwd`,
    `..\\${rel}\\passwd`,
    `${outside.path}/passwd`,
    "/etc/passwd",
    "C:\\Windows\\win.ini",
    "c:passwd",
    "ok.txt\u0000.png",
    "%2e%2e/passwd",
    "%2e%2e%2fpasswd",
    "..%2f..%2fetc%2fpasswd",
    "ok.txt/..",
    "a/../ok.txt",
    "\u001b[31mred",
    ".netkit-tmp.x",
    "x".repeat(256),
  ];
  for (const name of corpus) {
    await assert.rejects(
      client.download(name, `${local.path}/out`),
      (e: unknown) => isNetkitError(e, "INVALID_NAME", "NOT_FOUND"),
      `name ${JSON.stringify(name)} was not refused`,
    );
    await assert.rejects(
      client.upload(`${lib.path}/ok.txt`, name),
      (e: unknown) => isNetkitError(e, "INVALID_NAME", "EXISTS"),
      `upload name ${JSON.stringify(name)} was not refused`,
    );
  }
  assert.deepEqual(await namesIn(local.path), []);
  assert.deepEqual(await namesIn(lib.path), ["ok.txt"]);
  assert.deepEqual(await namesIn(outside.path), ["passwd"]);
});

Deno.test("file service: large transfers are hashed on another core and still verified, resume included", async () => {
  const big = bytes(20 * 1024 * 1024 + 123, 77); // over the 8 MiB offload threshold
  await using lib = await tempDir({ "big.bin": big });
  await using local = await tempDir({ "up.bin": big });
  await using server = await serve(lib.path, { hashOffloadMinBytes: 8 << 20 });
  await using client = await FileClient.connect({
    port: server.addr.port,
    hashOffloadMinBytes: 8 << 20,
  });
  const down = await client.download("big.bin", local.join("down.bin"));
  assertSameBytes(await Deno.readFile(local.join("down.bin")), big);
  const up = await client.upload(local.join("up.bin"), "up.bin");
  assert.deepEqual(up.digest, down.digest);
  assertSameBytes(await Deno.readFile(lib.join("up.bin")), big);
  // A resumed large download: the part file's prefix is hashed from disk by the Worker.
  await brokenDownload(lib.join("big.bin"), local.join("again.bin"), big.subarray(0, 9_000_000));
  const again = await client.download("big.bin", local.join("again.bin"), { resume: true });
  assert.equal(again.transferred, big.length - 9_000_000);
  assert.deepEqual(again.digest, down.digest);
  // A corrupted prefix is caught by the Worker's hash too.
  const bad = big.slice(0, 10_000_000);
  bad[1234] ^= 0xff;
  await brokenDownload(lib.join("big.bin"), local.join("bad.bin"), bad);
  await assert.rejects(client.download("big.bin", local.join("bad.bin"), { resume: true }), {
    code: "CHECKSUM_MISMATCH",
  });
  assert.deepEqual(await namesIn(local.path), ["again.bin", "down.bin", "up.bin"]);
});

Deno.test("file service: a server announcing larger frames (--max-frame 4MiB) is followed by the client", async () => {
  const data = bytes(10 * 1024 * 1024 + 5, 78);
  await using lib = await tempDir({ "f.bin": data });
  await using local = await tempDir({ "up.bin": data });
  await using server = await serve(lib.path, { maxFrame: 4 << 20 });
  await using client = await connect(server);
  assert.equal(client.welcome.maxFrame, 4 << 20);
  await client.download("f.bin", local.join("f.bin"));
  assertSameBytes(await Deno.readFile(local.join("f.bin")), data);
  await client.upload(local.join("up.bin"), "up.bin");
  assertSameBytes(await Deno.readFile(lib.join("up.bin")), data);
});

Deno.test("file service: by default large SHA-256 transfers go to the hash Worker, and verify", async () => {
  const data = bytes(9 * 1024 * 1024, 79);
  await using lib = await tempDir({ "s.bin": data });
  await using local = await tempDir({ "u.bin": data });
  await using server = await serve(lib.path);
  await using client = await FileClient.connect({ port: server.addr.port, hashes: ["sha256"] });
  const down = await client.download("s.bin", local.join("s.bin"));
  assert.equal(down.hash, "sha256");
  const up = await client.upload(local.join("u.bin"), "u.bin");
  assert.deepEqual(up.digest, down.digest);
  assertSameBytes(await Deno.readFile(lib.join("u.bin")), data);
});
