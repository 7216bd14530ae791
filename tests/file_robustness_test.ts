import assert from "node:assert/strict";
import { encodeFrame, FrameType, writeHeader } from "../protocol/file/frame.ts";
import { encodeMessage } from "../protocol/file/messages.ts";
import { bytes, connect, namesIn, raw, serve, tempDir, untilConnections } from "./file_helpers.ts";

/** Reads until the server closes the connection; returns true if it did. */
async function closedByServer(conn: Deno.Conn): Promise<boolean> {
  const buf = new Uint8Array(4096);
  for (let i = 0; i < 1000; i++) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return true;
  }
  return false;
}

Deno.test("robustness: garbage before HELLO gets BAD_FRAME and a closed connection; others carry on", async () => {
  await using lib = await tempDir({ "a.txt": "a" });
  await using server = await serve(lib.path);
  await using good = await connect(server);
  for (
    const junk of [
      new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      bytes(4096, 5),
      encodeFrame(FrameType.LIST, new Uint8Array(0)), // a request before HELLO
      encodeFrame(FrameType.HELLO, new TextEncoder().encode("NOPE")), // bad magic
    ]
  ) {
    await using r = await raw(server);
    await r.send(junk);
    const m = await r.reader.next().catch(() => null);
    assert.equal(m?.type, "ERROR");
    assert.equal((m as { code: string }).code, "BAD_FRAME");
    assert.ok(await closedByServer(r.conn));
  }
  assert.deepEqual((await good.list()).map((e) => e.name), ["a.txt"]);
});

Deno.test("robustness: a header announcing 4 GiB is refused before any buffering", async () => {
  await using lib = await tempDir();
  await using server = await serve(lib.path);
  await using r = await raw(server);
  await r.hello();
  const h = new Uint8Array(5);
  writeHeader(h, FrameType.LIST, 0xffffffff);
  await r.send(h);
  const m = await r.reader.next();
  assert.deepEqual(m && m.type === "ERROR" && m.code, "BAD_FRAME");
  assert.ok(await closedByServer(r.conn));
});

Deno.test("robustness: a truncated frame then silence is dropped by the idle timeout", async () => {
  await using lib = await tempDir();
  await using server = await serve(lib.path, { idleTimeoutMs: 300 });
  await using r = await raw(server);
  await r.hello();
  await r.send(encodeMessage({ type: "GET", name: "abc", offset: 0 }).subarray(0, 7));
  const started = performance.now();
  assert.ok(await closedByServer(r.conn));
  const waited = performance.now() - started;
  // Not before the timeout; the upper bound only tells a hang from a busy machine.
  assert.ok(waited >= 200 && waited < 20_000, `closed after ${waited} ms`);
});

Deno.test("robustness: an unknown frame type mid-session is BAD_FRAME", async () => {
  await using lib = await tempDir();
  await using server = await serve(lib.path);
  await using r = await raw(server);
  await r.hello();
  await r.send(new Uint8Array([0x99, 0, 0, 0, 0]));
  const m = await r.reader.next();
  assert.deepEqual(m && m.type === "ERROR" && m.code, "BAD_FRAME");
});

Deno.test("robustness: DATA outside an upload is a protocol error", async () => {
  await using lib = await tempDir();
  await using server = await serve(lib.path);
  await using r = await raw(server);
  await r.hello();
  await r.send(encodeFrame(FrameType.DATA, new Uint8Array(10)));
  const m = await r.reader.next();
  assert.deepEqual(m && m.type === "ERROR" && m.code, "BAD_FRAME");
  assert.ok(await closedByServer(r.conn));
});

Deno.test("robustness: an upload cut mid-way leaves nothing under any name", async () => {
  await using lib = await tempDir();
  await using server = await serve(lib.path);
  await using r = await raw(server);
  await r.hello();
  await r.writer.send({ type: "PUT", name: "cut.bin", size: 1_000_000, flags: 0 });
  const ready = await r.reader.next();
  assert.equal(ready?.type, "PUT_READY");
  await r.send(encodeFrame(FrameType.DATA, bytes(400_000)));
  // The temp file exists while the upload is in flight, hidden from listings.
  await using c = await connect(server);
  assert.deepEqual(await c.list(), []);
  const names = await namesIn(lib.path);
  assert.equal(names.length, 1);
  assert.match(names[0], /^\.netkit-tmp\./);
  r.conn.close();
  await untilConnections(server, 1); // the cut session has ended
  assert.deepEqual(await namesIn(lib.path), []);
});

Deno.test("robustness: corrupted upload data fails the checksum and never appears", async () => {
  await using lib = await tempDir();
  await using server = await serve(lib.path);
  await using r = await raw(server);
  await r.hello();
  const data = bytes(100_000, 9);
  await r.writer.send({ type: "PUT", name: "c.bin", size: data.length, flags: 0 });
  assert.equal((await r.reader.next())?.type, "PUT_READY");
  const corrupted = data.slice();
  corrupted[777] ^= 1; // flipped in flight
  await r.send(encodeFrame(FrameType.DATA, corrupted));
  const { createHasher } = await import("../core/hash/hash.ts");
  const h = await createHasher("xxh3-128");
  h.update(data); // the digest of what the sender meant to send
  await r.writer.send({ type: "END", digest: h.digest() });
  const m = await r.reader.next();
  assert.deepEqual(m && m.type === "ERROR" && m.code, "CHECKSUM_MISMATCH");
  assert.deepEqual(await namesIn(lib.path), []);
  // The session goes on.
  await r.writer.send({ type: "LIST" });
  assert.equal((await r.reader.next())?.type, "LIST_ENTRIES");
});

Deno.test("robustness: more DATA than announced is BAD_FRAME and leaves nothing", async () => {
  await using lib = await tempDir();
  await using server = await serve(lib.path);
  await using r = await raw(server);
  await r.hello();
  await r.writer.send({ type: "PUT", name: "o.bin", size: 10, flags: 0 });
  assert.equal((await r.reader.next())?.type, "PUT_READY");
  await r.send(encodeFrame(FrameType.DATA, new Uint8Array(11)));
  const m = await r.reader.next();
  assert.deepEqual(m && m.type === "ERROR" && m.code, "BAD_FRAME");
  assert.ok(await closedByServer(r.conn));
  assert.deepEqual(await namesIn(lib.path), []);
});

Deno.test("robustness: connections over --max-connections get BUSY; the rest are served", async () => {
  await using lib = await tempDir({ "a": "a" });
  await using server = await serve(lib.path, { maxConnections: 2 });
  await using c1 = await connect(server);
  await using c2 = await connect(server);
  await using r = await raw(server);
  const m = await r.reader.next();
  assert.deepEqual(m && m.type === "ERROR" && m.code, "BUSY");
  assert.equal((await c1.list()).length, 1);
  assert.equal((await c2.list()).length, 1);
});

Deno.test("robustness: an unsupported protocol version is refused", async () => {
  await using lib = await tempDir();
  await using server = await serve(lib.path);
  await using r = await raw(server);
  const hello = encodeMessage({
    type: "HELLO",
    version: 0,
    hashes: ["xxh3-128"],
    token: new Uint8Array(0),
    client: "old",
  });
  await r.send(hello);
  const m = await r.reader.next();
  assert.deepEqual(m && m.type === "ERROR" && m.code, "UNSUPPORTED_VERSION");
});

Deno.test("robustness: leftover temp files of dead uploads are cleaned at start, live ones kept", async () => {
  await using lib = await tempDir({ "keep.txt": "k" });
  const stale = `${lib.path}/.netkit-tmp.otherhost.1.deadbeef`;
  const fresh = `${lib.path}/.netkit-tmp.otherhost.2.cafebabe`;
  await Deno.writeTextFile(stale, "partial");
  await Deno.writeTextFile(fresh, "partial");
  const old = new Date(Date.now() - 3600_000);
  await Deno.utime(stale, old, old);
  await using _server = await serve(lib.path);
  assert.deepEqual(await namesIn(lib.path), [".netkit-tmp.otherhost.2.cafebabe", "keep.txt"]);
});
