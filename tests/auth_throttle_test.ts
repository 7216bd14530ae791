/**
 * The sign-in throttle on a virtual clock: parallel attempts queue, a burst
 * is allowed, excess is refused at once, successes give tokens back, and a
 * trusted address is not locked out by guesses at its account from elsewhere.
 */

import assert from "node:assert/strict";
import { AuthThrottle } from "../core/access/auth_throttle.ts";
import { isNetkitError } from "../core/errors.ts";

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const busy = (e: unknown) => isNetkitError(e, "BUSY");

Deno.test("throttle: 300 parallel guesses from one address: a burst, then spaced, the rest refused at once", () => {
  const c = clock();
  const t = new AuthThrottle({
    now: c.now,
    addressBurst: 5,
    addressIntervalMs: 1000,
    maxWaitMs: 3000,
  });
  const waits: number[] = [];
  let refused = 0;
  for (let i = 0; i < 300; i++) {
    try {
      waits.push(t.admit({ address: "203.0.113.9" }).waitMs); // none reports back yet: all in flight
    } catch (e) {
      assert.ok(busy(e));
      refused++;
    }
  }
  assert.deepEqual(waits, [0, 0, 0, 0, 0, 1000, 2000, 3000]);
  assert.equal(refused, 292);
  // Another address is not slowed at all.
  assert.equal(t.admit({ address: "198.51.100.1" }).waitMs, 0);
  // Time gives the address its tokens back, one per interval.
  c.advance(4000);
  assert.equal(t.admit({ address: "203.0.113.9" }).waitMs, 0);
  assert.equal(t.admit({ address: "203.0.113.9" }).waitMs, 1000);
});

Deno.test("throttle: successes give their tokens back; failures keep them", () => {
  const c = clock();
  const t = new AuthThrottle({
    now: c.now,
    addressBurst: 2,
    addressIntervalMs: 1000,
    maxWaitMs: 0,
  });
  for (let i = 0; i < 10; i++) t.admit({ address: "a" }).succeed();
  t.admit({ address: "a" }).fail();
  t.admit({ address: "a" }).fail();
  assert.throws(() => t.admit({ address: "a" }), busy);
  c.advance(1000);
  t.admit({ address: "a" }).fail();
  assert.throws(() => t.admit({ address: "a" }), busy);
});

Deno.test("throttle: an account is paced across addresses; a trusted address keeps its own bucket", () => {
  const c = clock();
  const t = new AuthThrottle({
    now: c.now,
    addressBurst: 100,
    accountBurst: 3,
    accountIntervalMs: 10_000,
    maxWaitMs: 0,
  });
  // alice signs in from home once.
  t.admit({ address: "198.51.100.7", account: "alice" }).succeed();
  // A botnet guesses alice's password from many addresses.
  let checked = 0;
  for (let i = 0; i < 50; i++) {
    try {
      t.admit({ address: `203.0.113.${i}`, account: "alice" }).fail();
      checked++;
    } catch (e) {
      assert.ok(busy(e));
    }
  }
  assert.equal(checked, 3);
  // alice from a new address is refused for now, but from home gets in at once.
  assert.throws(() => t.admit({ address: "192.0.2.50", account: "alice" }), busy);
  assert.equal(t.admit({ address: "198.51.100.7", account: "alice" }).waitMs, 0);
  // Unknown accounts are paced exactly like known ones.
  for (let i = 0; i < 3; i++) t.admit({ address: `203.0.113.${i}`, account: "nobody" }).fail();
  assert.throws(() => t.admit({ address: "203.0.113.99", account: "nobody" }), busy);
});

Deno.test("throttle: an IPv6 client's whole /64 is one address", () => {
  const c = clock();
  const t = new AuthThrottle({ now: c.now, addressBurst: 2, maxWaitMs: 0 });
  t.admit({ address: "2001:db8:0:1::a" }).fail();
  t.admit({ address: "2001:db8:0:1::b" }).fail();
  assert.throws(() => t.admit({ address: "2001:db8:0:1:ffff::c" }), busy);
  assert.equal(t.admit({ address: "2001:db8:0:2::a" }).waitMs, 0);
});

Deno.test("throttle: memory stays bounded by maxKeys, idle buckets first", () => {
  const c = clock();
  const t = new AuthThrottle({ now: c.now, addressBurst: 1, maxKeys: 100, maxWaitMs: 0 });
  t.admit({ address: "victim" }).fail();
  for (let i = 0; i < 50; i++) t.admit({ address: `x${i}` }).succeed(); // idle again at once
  assert.throws(() => t.admit({ address: "victim" }), busy); // not evicted by idle ones
});
