// netkit's TFTP server and client driven packet by packet from a raw UDP
// socket: transfer IDs, duplicates, malformed input, limits, broken uploads.
import assert from "node:assert/strict";
import { tftpGet } from "../tftp/client.ts";
import { isNetkitError } from "../core/errors.ts";
import type { Packet } from "../protocol/tftp/packet.ts";
import {
  logWaiter,
  memorySink,
  pseudoRandomBytes,
  RawPeer,
  startServer,
  tempDir,
} from "./tftp_helpers.ts";

const rrq = (
  filename: string,
  options: [string, string][] = [],
  mode: "octet" | "netascii" = "octet",
): Packet => ({ op: "RRQ", filename, mode, options: new Map(options) });

Deno.test("tftp protocol: a file of exactly 2 blocks ends with an empty DATA 3", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/f`, pseudoRandomBytes(1024));
  await using server = await startServer(dir.path);
  using peer = new RawPeer();
  await peer.send(rrq("f"), server.addr);
  const sizes: number[] = [];
  for (let block = 1; block <= 3; block++) {
    const { packet, from } = await peer.expect();
    assert.equal(packet.op, "DATA");
    if (packet.op !== "DATA") return;
    assert.equal(packet.block, block);
    assert.notEqual(from.port, server.addr.port, "a fresh transfer ID");
    sizes.push(packet.data.length);
    await peer.send({ op: "ACK", block }, from);
  }
  assert.deepEqual(sizes, [512, 512, 0]);
});

Deno.test("tftp protocol: duplicate ACKs never trigger a resend (Sorcerer's Apprentice)", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/f`, pseudoRandomBytes(512 * 6));
  await using server = await startServer(dir.path, { timeoutMs: 3000 });
  using peer = new RawPeer();
  await peer.send(rrq("f"), server.addr);
  let { packet, from } = await peer.expect();
  const seen: number[] = [];
  for (let block = 1; block <= 4; block++) {
    assert.equal(packet.op === "DATA" && packet.block, block);
    seen.push(block);
    // Acknowledge three times, as if our ACKs were duplicated on the way.
    for (let i = 0; i < 3; i++) await peer.send({ op: "ACK", block }, from);
    ({ packet, from } = await peer.expect());
    // Nothing but the single next block may follow.
    const extra = await peer.recv(150);
    assert.equal(extra, null, `extra packet after ACK ${block}`);
  }
  assert.deepEqual(seen, [1, 2, 3, 4]);
});

Deno.test("tftp protocol: a packet from an unknown port gets ERROR 5 and changes nothing", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/f`, pseudoRandomBytes(512 * 3));
  await using server = await startServer(dir.path, { timeoutMs: 3000 });
  using peer = new RawPeer();
  using stranger = new RawPeer();
  await peer.send(rrq("f"), server.addr);
  const first = await peer.expect();
  assert.equal(first.packet.op === "DATA" && first.packet.block, 1);
  // The stranger acknowledges block 1 on the transfer's port.
  await stranger.send({ op: "ACK", block: 1 }, first.from);
  const answer = await stranger.expect();
  assert.equal(answer.packet.op === "ERROR" && answer.packet.code, 5);
  // ...which must not have advanced the transfer.
  assert.equal(await peer.recv(150), null);
  await peer.send({ op: "ACK", block: 1 }, first.from);
  const second = await peer.expect();
  assert.equal(second.packet.op === "DATA" && second.packet.block, 2);
});

Deno.test("tftp protocol: malformed packets on the request port get ERROR 4; service goes on", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/f`, new Uint8Array([1, 2, 3]));
  await using server = await startServer(dir.path);
  using peer = new RawPeer();
  const garbage = [
    new Uint8Array([0]),
    new Uint8Array([0, 9, 1, 2]),
    new Uint8Array([0, 1, 102]), // RRQ "f" without NUL
    new Uint8Array([0, 1, 102, 0]), // no mode
    new Uint8Array([0, 1, 102, 0, 98, 105, 110, 0]), // mode "bin"
    new Uint8Array([0, 4, 0, 1]), // an ACK is not a request
    new Uint8Array(2000).fill(0xff),
  ];
  for (const g of garbage) {
    await peer.send(g, server.addr);
    const { packet, from } = await peer.expect();
    assert.equal(packet.op === "ERROR" && packet.code, 4, String(g));
    assert.equal(from.port, server.addr.port);
  }
  // An ERROR sent to the request port is ignored, not answered.
  await peer.send({ op: "ERROR", code: 0, message: "x" }, server.addr);
  assert.equal(await peer.recv(100), null);
  const sink = memorySink();
  await tftpGet("f", sink, { hostname: "127.0.0.1", port: server.addr.port });
  assert.deepEqual(sink.bytes(), new Uint8Array([1, 2, 3]));
});

Deno.test("tftp protocol: a malformed packet inside a transfer gets ERROR 4 and ends it", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/f`, pseudoRandomBytes(2000));
  const logs = logWaiter();
  await using server = await startServer(dir.path, { log: logs.log });
  using peer = new RawPeer();
  await peer.send(rrq("f"), server.addr);
  const { from } = await peer.expect();
  await peer.send(new Uint8Array([0, 4, 0]), from);
  const { packet } = await peer.expect();
  assert.equal(packet.op === "ERROR" && packet.code, 4);
  await logs.waitFor(/RRQ "f".*malformed/);
  assert.equal(server.active, 0);
});

Deno.test("tftp protocol: the OACK holds only the options asked for, with bad values left out", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/f`, pseudoRandomBytes(100));
  await using server = await startServer(dir.path);
  const ask = async (options: [string, string][]) => {
    using peer = new RawPeer();
    await peer.send(rrq("f", options), server.addr);
    const { packet, from } = await peer.expect();
    await peer.send({ op: "ERROR", code: 0, message: "done" }, from);
    return packet;
  };
  for (const bad of ["abc", "0", "7", ""]) {
    const p = await ask([["blksize", bad], ["color", "blue"]]);
    assert.equal(p.op, "DATA", `blksize '${bad}': plain RFC 1350 transfer`);
  }
  const clamped = await ask([["blksize", "65465"], ["color", "blue"]]);
  assert.deepEqual(clamped, {
    op: "OACK",
    options: new Map([["blksize", "65464"]]),
  });
  const all = await ask([
    ["tsize", "0"],
    ["timeout", "2"],
    ["windowsize", "8"],
    ["blksize", "8"],
  ]);
  assert.deepEqual(
    all,
    {
      op: "OACK",
      options: new Map([
        ["tsize", "100"],
        ["timeout", "2"],
        ["windowsize", "8"],
        ["blksize", "8"],
      ]),
    },
  );
  const text = await ask([["tsize", "0"], ["blksize", "512"]]);
  assert.deepEqual(text.op === "OACK" && [...text.options.keys()], [
    "tsize",
    "blksize",
  ]);
});

Deno.test("tftp protocol: transfers in flight are bounded; the next request hears 'busy'", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/f`, pseudoRandomBytes(5000));
  await using server = await startServer(dir.path, {
    maxTransfers: 2,
    timeoutMs: 3000,
  });
  using a = new RawPeer();
  using b = new RawPeer();
  using c = new RawPeer();
  await a.send(rrq("f"), server.addr);
  await b.send(rrq("f"), server.addr);
  await a.expect();
  const held = await b.expect();
  await c.send(rrq("f"), server.addr);
  const busy = await c.expect();
  assert.equal(busy.packet.op, "ERROR");
  assert.match(busy.packet.op === "ERROR" ? busy.packet.message : "", /busy/);
  // Ending one transfer frees a slot.
  await b.send({ op: "ERROR", code: 0, message: "bye" }, held.from);
  // Polls for the slot to free, up to 30 s: a busy machine may take a while.
  for (let i = 0; i < 3000 && server.active > 1; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await c.send(rrq("f"), server.addr);
  const ok = await c.expect();
  assert.equal(ok.packet.op, "DATA");
});

Deno.test("tftp protocol: the client refuses an OACK it did not ask for with ERROR 8", async () => {
  using fake = new RawPeer();
  const got = tftpGet("f", memorySink(), {
    hostname: "127.0.0.1",
    port: (fake.conn.addr as Deno.NetAddr).port,
    blksize: 1024,
    timeoutMs: 500,
  });
  const req = await fake.expect();
  assert.equal(req.packet.op, "RRQ");
  await fake.send(
    { op: "OACK", options: new Map([["blksize", "2048"]]) },
    req.from,
  );
  await assert.rejects(got, (e) => isNetkitError(e, "BAD_FRAME"));
  const refusal = await fake.expect();
  assert.equal(refusal.packet.op === "ERROR" && refusal.packet.code, 8);
});

Deno.test("tftp protocol: the client falls back to 512 when the server ignores options", async () => {
  using fake = new RawPeer();
  const sink = memorySink();
  const got = tftpGet("f", sink, {
    hostname: "127.0.0.1",
    port: (fake.conn.addr as Deno.NetAddr).port,
    blksize: 1024,
    windowsize: 8,
  });
  const req = await fake.expect();
  await fake.send(
    { op: "DATA", block: 1, data: new Uint8Array(512) },
    req.from,
  );
  assert.deepEqual((await fake.expect()).packet, { op: "ACK", block: 1 });
  await fake.send({ op: "DATA", block: 2, data: new Uint8Array(3) }, req.from);
  assert.deepEqual((await fake.expect()).packet, { op: "ACK", block: 2 });
  const r = await got;
  assert.equal(r.bytes, 515);
  assert.equal(r.params.blksize, 512);
});

Deno.test("tftp protocol: one client address cannot take every slot", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/f`, pseudoRandomBytes(5000));
  await using server = await startServer(dir.path, { maxPerHost: 2, timeoutMs: 3000 });
  using a = new RawPeer();
  using b = new RawPeer();
  using c = new RawPeer();
  await a.send(rrq("f"), server.addr);
  await a.expect();
  await b.send(rrq("f"), server.addr);
  await b.expect();
  await c.send(rrq("f"), server.addr);
  const refused = await c.expect();
  assert.match(
    refused.packet.op === "ERROR" ? refused.packet.message : "",
    /too many transfers from your address/,
  );
});

Deno.test("tftp protocol: a flood of requests from one host gets its 16 transfers, no more", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/f`, pseudoRandomBytes(5000));
  // Defaults: 16 per host, 64 in all. Nobody ACKs, so every transfer stays open.
  await using server = await startServer(dir.path, { timeoutMs: 5000 });
  const peers = Array.from({ length: 40 }, () => new RawPeer());
  try {
    for (const p of peers) await p.send(rrq("f"), server.addr);
    const answers = await Promise.all(peers.map((p) => p.expect()));
    const ops = answers.map((a) => a.packet.op);
    assert.equal(ops.filter((op) => op === "DATA").length, 16, ops.join());
    assert.equal(ops.filter((op) => op === "ERROR").length, 24, ops.join());
    assert.equal(server.active, 16);
  } finally {
    peers.forEach((p) => p[Symbol.dispose]());
  }
});

Deno.test("tftp protocol: stale blocks after an upload's final ACK do not end the dally early", async () => {
  await using dir = await tempDir();
  await using server = await startServer(dir.path, { allowWrite: true });
  using peer = new RawPeer();
  const { to } = await peer.beginUpload(server.addr);
  await peer.send({ op: "DATA", block: 2, data: new Uint8Array(10) }, to);
  assert.deepEqual((await peer.expect()).packet, { op: "ACK", block: 2 });
  // A late flood of an earlier block (a resent window), then the last block
  // again, as if the final ACK had been lost: it is still acknowledged.
  for (let i = 0; i < 12; i++) {
    await peer.send({ op: "DATA", block: 1, data: new Uint8Array(512) }, to);
  }
  await peer.send({ op: "DATA", block: 2, data: new Uint8Array(10) }, to);
  assert.deepEqual((await peer.expect()).packet, { op: "ACK", block: 2 });
  assert.equal((await Deno.stat(`${dir.path}/up`)).size, 522);
});
