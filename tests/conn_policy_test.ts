// One host cannot lock everyone out of serve-files (issue 17, item 3): a
// handshake deadline, a cap on connections still in their handshake (the
// oldest closed to make room), and a limit per address shared by Workers.
// Real sockets on 127.0.0.1; the pure parts on a virtual clock.

import assert from "node:assert/strict";
import { FrameType, HEADER_SIZE, writeHeader } from "../protocol/file/frame.ts";
import { AddressCounts } from "../server/address_counts.ts";
import { addressKey } from "../core/net/net.ts";
import { Handshakes } from "../server/handshakes.ts";
import { startWorkersFileServer } from "../server/file_workers.ts";
import type { FileServer, StartFileServerOptions } from "../server/file_server.ts";
import { connect, raw, serve, tempDir, untilConnections } from "./file_helpers.ts";
import { runNetkit } from "./cli_helpers.ts";

/** True once the server has closed `conn` (reads end or fail), within `max` reads. */
async function closedByServer(conn: Deno.Conn, max = 1000): Promise<boolean> {
  const buf = new Uint8Array(4096);
  for (let i = 0; i < max; i++) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return true;
  }
  return false;
}

/** `n` connections that never say a word. */
async function silent(server: FileServer, n: number): Promise<Deno.TcpConn[]> {
  const out: Deno.TcpConn[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }));
  }
  return out;
}

function closeAll(conns: Deno.Conn[]): void {
  for (const c of conns) {
    try {
      c.close();
    } catch { /* closed by the server */ }
  }
}

const workers = (root: string, extra: StartFileServerOptions) =>
  startWorkersFileServer({ root, hostname: "127.0.0.1", port: 0, log: null, workers: 2, ...extra });

Deno.test("handshakes: the deadline closes silent ones in arrival order; a full table closes the oldest", () => {
  const closed: string[] = [];
  const conn = (name: string, startedAt: number, heard = false) => ({
    startedAt,
    heard,
    close: () => closed.push(name),
  });
  const h = new Handshakes(3, 1000);
  const [a, b, c, d] = [conn("a", 0), conn("b", 100), conn("c", 900), conn("d", 950)];
  h.add(a);
  h.add(b);
  h.add(c);
  h.done(b); // welcomed: no longer counted
  h.add(d);
  assert.deepEqual([closed, h.size], [[], 3]);
  h.add(conn("e", 960)); // full: the oldest goes
  assert.deepEqual(closed, ["a"]);
  h.expire(1899); // c started at 900: within its second
  assert.deepEqual(closed, ["a"]);
  h.expire(1901);
  assert.deepEqual(closed, ["a", "c"]);
  assert.equal(h.evictOldest(), true);
  assert.deepEqual(closed, ["a", "c", "d"]);
  assert.deepEqual(h.takeStats(), { late: 1, evicted: 2 });
  assert.deepEqual(h.takeStats(), { late: 0, evicted: 0 });
  h.expire(1e9);
  assert.equal(h.evictOldest(), false);
  // A connection whose greeting is in waits out the server's token check
  // past the deadline; it can still make room for a newer one.
  const greeted = conn("g", 2000, true);
  h.add(greeted);
  h.add(conn("h", 2100));
  h.expire(9000);
  assert.deepEqual(closed.slice(4), ["h"]);
  assert.equal(h.size, 1);
  assert.equal(h.evictOldest(), true);
  assert.deepEqual(closed.slice(4), ["h", "g"]);
});

Deno.test("address counts: a limit per address, shared through one buffer", () => {
  const one = new AddressCounts(2);
  const other = new AddressCounts(2, one.buffer); // another Worker
  assert.equal(one.tryAcquire("192.0.2.1"), true);
  assert.equal(other.tryAcquire("192.0.2.1"), true);
  assert.equal(one.tryAcquire("192.0.2.1"), false);
  assert.equal(other.tryAcquire("192.0.2.1"), false);
  assert.equal(one.count("192.0.2.1"), 2);
  for (let i = 0; i < 200; i++) assert.equal(one.tryAcquire(`198.51.100.${i}`), true, `${i}`);
  other.release("192.0.2.1");
  assert.equal(one.tryAcquire("192.0.2.1"), true);
  const table: [string, string][] = [
    ["192.0.2.1", "192.0.2.1"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["0:0:0:0:0:ffff:c000:201", "192.0.2.1"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["2001:DB8:0:0:ffff::2", "2001:db8:0:0::/64"],
    ["[2001:db8:1:2:3:4:5:6]", "2001:db8:1:2::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
  ];
  for (const [host, key] of table) assert.equal(addressKey(host), key, host);
});

Deno.test("deadline: a client that dribbles a HELLO it never finishes is closed", async () => {
  await using lib = await tempDir({ "a.txt": "a" });
  await using server = await serve(lib.path, { handshakeTimeoutMs: 300 });
  const silentOne = (await silent(server, 1))[0];
  await using loris = await raw(server);
  // A HELLO header announcing 1000 bytes, then one byte every 50 ms: never
  // idle long enough for the idle timeout (30 s), never a whole HELLO.
  const head = new Uint8Array(HEADER_SIZE);
  writeHeader(head, FrameType.HELLO, 1000);
  await loris.send(head);
  let sent = 0;
  for (; sent < 200; sent++) {
    await new Promise((r) => setTimeout(r, 50));
    if (!(await loris.conn.write(new Uint8Array([0x4e])).then(() => true, () => false))) break;
  }
  assert.ok(sent < 200, "the dribbling client was never closed");
  assert.ok(await closedByServer(loris.conn));
  assert.ok(await closedByServer(silentOne), "a silent connection outlived the deadline");
  closeAll([silentOne]);
  await using c = await connect(server);
  assert.equal((await c.list()).length, 1);
});

Deno.test("cap: silent sockets cannot lock an honest client out; the oldest are closed", async () => {
  await using lib = await tempDir({ "a.txt": "a" });
  // More silent sockets than handshakes allowed, and as many as there are slots.
  await using server = await serve(lib.path, { maxConnections: 8, maxHandshakes: 4 });
  const idle = await silent(server, 8);
  try {
    await using c = await connect(server);
    assert.equal((await c.list()).length, 1);
    for (const old of idle.slice(0, 4)) assert.ok(await closedByServer(old), "an old one stayed");
  } finally {
    closeAll(idle);
  }
});

Deno.test("cap: with every slot taken by handshakes, a new client still gets in", async () => {
  await using lib = await tempDir({ "a.txt": "a" });
  await using server = await serve(lib.path, { maxConnections: 4 });
  const idle = await silent(server, 4);
  try {
    await using c = await connect(server);
    assert.equal((await c.list()).length, 1);
    assert.ok(await closedByServer(idle[0]), "the oldest stayed");
    // Welcomed clients are not evicted: with every slot held by them, BUSY.
    closeAll(idle);
    await untilConnections(server, 1);
    const others = await Promise.all([0, 1, 2].map(() => connect(server)));
    await using r = await raw(server);
    const m = await r.reader.next();
    assert.deepEqual(m && m.type === "ERROR" && m.code, "BUSY");
    for (const o of others) await o.quit();
  } finally {
    closeAll(idle);
  }
});

Deno.test("per address: past the limit BUSY; loopback exempt unless asked", async () => {
  await using lib = await tempDir({ "a.txt": "a" });
  await using open = await serve(lib.path, { maxPerAddress: 2 });
  const free = await Promise.all([0, 1, 2].map(() => connect(open)));
  for (const c of free) await c.quit();

  await using server = await serve(lib.path, { maxPerAddress: 2, limitLoopback: true });
  const c1 = await connect(server);
  await using c2 = await connect(server);
  await using r = await raw(server);
  const m = await r.reader.next();
  assert.equal(m?.type, "ERROR");
  assert.equal((m as { code: string }).code, "BUSY");
  assert.match((m as { message: string }).message, /2 connections from your address/);
  await c1.quit();
  await untilConnections(server, 1);
  await using c3 = await connect(server);
  assert.equal((await c3.list()).length, 1);
  assert.equal((await c2.list()).length, 1);
});

Deno.test({
  name: "workers: the per-address limit is shared, and each Worker keeps its handshake cap" +
    (Deno.build.os === "linux" ? "" : " (skipped: reusePort works on Linux only)"),
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using lib = await tempDir({ "a.txt": "a" });
    await using server = await workers(lib.path, { maxPerAddress: 2, limitLoopback: true });
    const held = await Promise.all([0, 1].map(() => connect(server)));
    try {
      // Whichever Worker the kernel hands them to, each is one too many.
      for (let i = 0; i < 6; i++) {
        await using r = await raw(server);
        const m = await r.reader.next();
        assert.deepEqual(m && m.type === "ERROR" && m.code, "BUSY", `attempt ${i}`);
      }
    } finally {
      for (const c of held) await c.quit();
    }
    await using capped = await workers(lib.path, { maxConnections: 8, maxHandshakes: 4 });
    const idle = await silent(capped, 8);
    try {
      for (let i = 0; i < 4; i++) {
        await using c = await connect(capped);
        assert.equal((await c.list()).length, 1);
      }
    } finally {
      closeAll(idle);
    }
  },
});

Deno.test("cli: the connection policy's flags are checked", async () => {
  for (
    const [flag, value] of [
      ["--max-handshakes", "0"],
      ["--max-per-address", "-1"],
      ["--handshake-timeout", "soon"],
    ]
  ) {
    const r = await runNetkit(["serve-files", "--root", ".", "--port", "0", flag, value]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(flag), r.stderr);
  }
  const help = await runNetkit(["serve-files", "--help"]);
  for (const flag of ["--handshake-timeout", "--max-handshakes", "--max-per-address"]) {
    assert.ok(help.stdout.includes(flag), flag);
  }
});
