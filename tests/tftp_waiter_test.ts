// The receive-with-timeout under every TFTP transfer, on real UDP sockets
// and a virtual clock: timeouts are tested by moving time, not by waiting.
import assert from "node:assert/strict";
import { DatagramWaiter } from "../tftp/datagram_waiter.ts";
import { isNetkitError } from "../core/errors.ts";
import { VirtualClock } from "./virtual_clock.ts";
import { loopbackUdp } from "./tftp_helpers.ts";

/** Whether `p` has settled once every reaction already due has run (one turn of the loop). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => done = true, () => done = true);
  await new Promise((r) => setTimeout(r, 0));
  return done;
}

function pair() {
  const a = loopbackUdp();
  const b = loopbackUdp();
  const clock = new VirtualClock();
  const waiter = new DatagramWaiter(b, new Uint8Array(100), clock);
  return {
    a,
    clock,
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
  const wait = p.waiter.next(60);
  p.clock.advance(59);
  assert.equal(await settled(wait), false, "gave up early");
  p.clock.advance(1);
  assert.equal(await wait, null);
  await p.a.send(new Uint8Array([7]), p.to);
  const got = await p.waiter.next(1000);
  assert.deepEqual(got?.[0], new Uint8Array([7]));
});

Deno.test("datagram waiter: a short wait after a long one still times out on time", async () => {
  using p = pair();
  await p.a.send(new Uint8Array([1]), p.to);
  assert.ok(await p.waiter.next(5000)); // arms a long timer
  const short = p.waiter.next(30);
  p.clock.advance(30);
  assert.equal(await settled(short), true, "the short wait waited for the long timer");
  assert.equal(await short, null);
});

Deno.test("datagram waiter: a datagram arriving between waits is kept, in order", async () => {
  using p = pair();
  const empty = p.waiter.next(20);
  p.clock.advance(20);
  assert.equal(await empty, null); // leaves a receive posted
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
