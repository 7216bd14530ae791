// Retransmission backoff (RFC 1123 4.2.3.2): each silent timeout in a row
// doubles the next wait, up to a cap, on both ends and in both directions,
// so a peer that is busy rather than gone (a server syncing an upload before
// its final ACK) is waited for.
import assert from "node:assert/strict";
import { tftpPut } from "../tftp/client.ts";
import { isNetkitError } from "../core/errors.ts";
import { BACKOFF_CAP, patience, retryWait } from "../tftp/transfer.ts";
import type { Packet } from "../protocol/tftp/packet.ts";
import {
  listNames,
  logWaiter,
  memorySource,
  pseudoRandomBytes,
  RawPeer,
  startServer,
  tempDir,
} from "./tftp_helpers.ts";

Deno.test("tftp backoff: waits double per silent timeout up to the cap, and add up to the patience", () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 50].map((silent) => retryWait(100, silent)),
    [100, 200, 400, 400, 400, 400],
  );
  assert.equal(BACKOFF_CAP, 4);
  assert.equal(patience({ timeoutMs: 100, retries: 0 }), 100);
  assert.equal(patience({ timeoutMs: 100, retries: 3 }), 100 + 200 + 400 + 400);
  // The CLI's extremes stay finite: 255 s and 100 retries.
  assert.equal(patience({ timeoutMs: 255_000, retries: 100 }), 255_000 * (1 + 2 + 4 * 99));
});

/** What `peer` hears within `ms` (or up to an ERROR), with arrival times in ms since `since`. */
async function listen(peer: RawPeer, ms: number, since: number) {
  const heard: { at: number; packet: Packet }[] = [];
  const until = performance.now() + ms;
  for (let left = ms; left > 0; left = until - performance.now()) {
    const r = await peer.recv(left);
    if (!r) break;
    heard.push({ at: performance.now() - since, packet: r.packet });
    if (r.packet.op === "ERROR") break;
  }
  return heard;
}

/** What `peer` hears until `done` settles (the client gave up), with arrival times since `since`. */
async function listenUntil(peer: RawPeer, done: Promise<unknown>, since: number) {
  let over = false;
  done.then(() => over = true, () => over = true);
  const heard: { at: number; packet: Packet }[] = [];
  for (let i = 0; i < 10_000 && !over; i++) {
    const r = await peer.recv(20); // a slice of the wait, to look at `over` again
    if (r) heard.push({ at: performance.now() - since, packet: r.packet });
  }
  return heard;
}

/**
 * Asserts that each packet came no earlier than the waits before it allow,
 * counting from a moment before the peer could have started its clock: a
 * lower bound that load and stalls can only make truer.
 */
function assertNotBefore(heard: { at: number }[], waits: number[]) {
  const times = heard.map((h) => Math.round(h.at));
  let due = 0;
  times.slice(0, waits.length).forEach((at, i) => {
    due += waits[i];
    assert.ok(at >= due - 1, `packets at ${times} ms; expected no earlier than waits ${waits}`);
  });
}

Deno.test("tftp backoff: a put waits out a server that takes longer to commit than the fixed-interval budget", async () => {
  using fake = new RawPeer();
  const data = pseudoRandomBytes(700); // blocks 1 (512) and 2 (188)
  // 100 ms and 4 retries: 500 ms at a fixed interval, 1500 ms with backoff;
  // the commit below takes 600 ms, leaving 900 ms for a busy machine's stalls.
  const put = tftpPut("up", memorySource(data), data.length, {
    hostname: "127.0.0.1",
    port: (fake.conn.addr as Deno.NetAddr).port,
    timeoutMs: 100,
    retries: 4,
  });
  put.catch(() => {}); // awaited below
  {
    const wrq = await fake.expect();
    assert.equal(wrq.packet.op, "WRQ");
    await fake.send({ op: "ACK", block: 0 }, wrq.from);
    const one = await fake.expect();
    assert.equal(one.packet.op === "DATA" && one.packet.block, 1);
    const acked = performance.now(); // the client's clock starts after this
    await fake.send({ op: "ACK", block: 1 }, wrq.from);
    const last = await fake.expect();
    assert.equal(last.packet.op === "DATA" && last.packet.block, 2);
    // "Commit" for 600 ms, hearing the client's resends of block 2 meanwhile.
    const resent = await listen(fake, 600, acked);
    await fake.send({ op: "ACK", block: 2 }, wrq.from);
    const result = await put;
    assert.equal(result.bytes, 700);
    assert.ok(resent.every((r) => r.packet.op === "DATA" && r.packet.block === 2));
    assert.ok(resent.length >= 1, "block 2 was resent");
    assertNotBefore(resent, [100, 200, 400]);
  }
});

for (const op of ["RRQ", "WRQ"] as const) {
  Deno.test(`tftp backoff: the server's resends to a silent client back off, then it gives up (${op})`, async () => {
    await using dir = await tempDir();
    await Deno.writeFile(`${dir.path}/f`, pseudoRandomBytes(2000));
    const logs = logWaiter();
    await using server = await startServer(dir.path, {
      allowWrite: true,
      timeoutMs: 40,
      retries: 3,
      log: logs.log,
    });
    using peer = new RawPeer();
    // The last packet the server sent, and a moment before its clock started.
    let first: Packet;
    let sent: number;
    if (op === "WRQ") {
      ({ ack1: first, dataSentAt: sent } = await peer.beginUpload(server.addr));
    } else {
      sent = performance.now();
      await peer.send({ op, filename: "f", mode: "octet", options: new Map() }, server.addr);
      first = (await peer.expect()).packet;
      assert.equal(first.op === "DATA" && first.block, 1);
    }
    // Silence from here: three resends after 40, 80 and 160 ms, then ERROR after 160 more.
    const heard = await listen(peer, 3000, sent);
    const resends = heard.filter((h) => h.packet.op !== "ERROR");
    assert.deepEqual(resends.map((h) => h.packet), [first, first, first]);
    assert.equal(heard.at(-1)?.packet.op, "ERROR");
    assertNotBefore(heard, [40, 80, 160, 160]);
    await logs.waitFor(/timed out/);
    // A broken upload leaves nothing behind.
    if (op === "WRQ") assert.deepEqual(await listNames(dir.path), ["f"]);
  });
}

Deno.test("tftp backoff: a request to a server that never answers is resent at growing gaps, then given up", async () => {
  using fake = new RawPeer();
  const started = performance.now();
  const put = tftpPut("up", memorySource(new Uint8Array(10)), 10, {
    hostname: "127.0.0.1",
    port: (fake.conn.addr as Deno.NetAddr).port,
    timeoutMs: 30,
    retries: 2,
  });
  put.catch(() => {}); // awaited below
  const requests = await listenUntil(fake, put, started);
  await assert.rejects(put, (e) => isNetkitError(e, "TIMEOUT"));
  const took = performance.now() - started;
  assert.deepEqual(requests.map((r) => r.packet.op), ["WRQ", "WRQ", "WRQ"]);
  assertNotBefore(requests, [0, 30, 60]);
  assert.ok(took >= 30 + 60 + 120 - 10, `gave up after ${Math.round(took)} ms, not 210`);
});
