// The receive-with-timeout under every TFTP transfer, on real UDP sockets.
import assert from "node:assert/strict";
import { DatagramWaiter } from "../tftp/datagram_waiter.ts";
import { isNetkitError } from "../core/errors.ts";

function pair() {
  const a = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  const b = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  const waiter = new DatagramWaiter(b, new Uint8Array(100));
  return {
    a,
    to: b.addr as Deno.NetAddr,
    waiter,
    [Symbol.dispose]() {
      waiter.close();
      a.close();
      b.close();
    },
  };
}

Deno.test("datagram waiter: times out with null, then still receives", async () => {
  using p = pair();
  const t0 = performance.now();
  assert.equal(await p.waiter.next(60), null);
  const waited = performance.now() - t0;
  assert.ok(waited >= 55 && waited < 1000, `waited ${waited} ms`);
  await p.a.send(new Uint8Array([7]), p.to);
  const got = await p.waiter.next(1000);
  assert.deepEqual(got?.[0], new Uint8Array([7]));
});

Deno.test("datagram waiter: a short wait after a long one still times out on time", async () => {
  using p = pair();
  await p.a.send(new Uint8Array([1]), p.to);
  assert.ok(await p.waiter.next(5000)); // arms a long timer
  const t0 = performance.now();
  assert.equal(await p.waiter.next(30), null);
  assert.ok(performance.now() - t0 < 1000);
});

Deno.test("datagram waiter: a datagram arriving between waits is kept, in order", async () => {
  using p = pair();
  assert.equal(await p.waiter.next(20), null); // leaves a receive posted
  for (const b of [1, 2, 3]) await p.a.send(new Uint8Array([b]), p.to);
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) seen.push((await p.waiter.next(1000))![0][0]);
  assert.deepEqual(seen, [1, 2, 3]);
});

Deno.test("datagram waiter: abort and close reject a pending wait", async () => {
  using p = pair();
  const stop = new AbortController();
  const pending = p.waiter.next(5000, stop.signal);
  stop.abort(new Error("stop"));
  await assert.rejects(pending, /stop/);
  const pending2 = p.waiter.next(5000);
  p.waiter.close();
  await assert.rejects(pending2, (e) => isNetkitError(e, "CLOSED"));
  await assert.rejects(p.waiter.next(10), (e) => isNetkitError(e, "CLOSED"));
});
