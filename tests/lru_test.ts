import assert from "node:assert/strict";
import { LruCache } from "../core/lru.ts";

const sized = (maxBytes: number, maxEntries?: number) =>
  new LruCache<string, number>({ maxBytes, maxEntries, sizeOf: (n) => n });

const keys = (c: LruCache<string, number>, all: string[]) => all.filter((k) => c.has(k));

Deno.test("lru: evicts the least recently used first; get refreshes, has does not", () => {
  const c = sized(300);
  c.set("a", 100);
  c.set("b", 100);
  c.set("c", 100);
  assert.equal(c.get("a"), 100); // a is now the most recent
  assert.equal(c.has("b"), true); // b stays the least recent
  c.set("d", 100);
  assert.deepEqual(keys(c, ["a", "b", "c", "d"]), ["a", "c", "d"]);
  c.set("e", 150); // two go: c, then a
  assert.deepEqual(keys(c, ["a", "b", "c", "d", "e"]), ["d", "e"]);
  assert.equal(c.bytes, 250);
  assert.equal(c.size, 2);
  assert.equal(c.get("nope"), undefined);
});

Deno.test("lru: a zero budget holds nothing, not even empty entries", () => {
  const c = sized(0);
  assert.equal(c.set("a", 0), false);
  assert.equal(c.set("b", 1), false);
  assert.equal(c.size, 0);
  assert.equal(c.bytes, 0);
  assert.equal(c.get("a"), undefined);
  const none = sized(100, 0);
  assert.equal(none.set("a", 1), false);
  assert.equal(none.size, 0);
});

Deno.test("lru: an entry larger than the budget is refused and evicts nothing", () => {
  const c = sized(100);
  c.set("a", 60);
  assert.equal(c.set("big", 101), false);
  assert.equal(c.has("big"), false);
  assert.equal(c.get("a"), 60);
  assert.equal(c.bytes, 60);
  assert.equal(c.set("exact", 100), true, "exactly the budget fits, alone");
  assert.deepEqual(keys(c, ["a", "exact"]), ["exact"]);
  assert.equal(c.bytes, 100);
  // Replacing a key with a value too large drops the old value too.
  assert.equal(c.set("exact", 500), false);
  assert.equal(c.has("exact"), false);
  assert.equal(c.bytes, 0);
});

Deno.test("lru: replacing a key counts only the new size and makes it the most recent", () => {
  const c = sized(300);
  c.set("a", 100);
  c.set("b", 100);
  c.set("a", 50);
  assert.equal(c.bytes, 150);
  assert.equal(c.size, 2);
  c.set("a", 200); // 300 in all: fits without evicting
  assert.equal(c.bytes, 300);
  assert.deepEqual(keys(c, ["a", "b"]), ["a", "b"]);
  c.set("c", 1); // b is the least recent now, not a
  assert.deepEqual(keys(c, ["a", "b", "c"]), ["a", "c"]);
  assert.equal(c.bytes, 201);
  for (let i = 0; i < 1000; i++) c.set("a", i % 300); // a at most 299: c always fits beside it
  assert.equal(c.bytes, 99 + 1);
  assert.equal(c.size, 2);
});

Deno.test("lru: the entry cap bounds the count, whatever the bytes", () => {
  const c = sized(Infinity, 2);
  c.set("a", 0);
  c.set("b", 0);
  c.get("a");
  c.set("c", 0);
  assert.deepEqual(keys(c, ["a", "b", "c"]), ["a", "c"]);
  assert.equal(c.size, 2);
});

Deno.test("lru: the size is taken once, when stored", () => {
  const c = new LruCache<string, Uint8Array>({ maxBytes: 100, sizeOf: (b) => b.length });
  const grows = { length: 10 } as unknown as Uint8Array;
  c.set("a", grows);
  (grows as unknown as { length: number }).length = 1000;
  assert.equal(c.bytes, 10);
  c.delete("a");
  assert.equal(c.bytes, 0);
  assert.equal(c.delete("a"), false);
});

Deno.test("lru: nonsense sizes and bounds are refused", () => {
  for (const bad of [-1, NaN, Infinity]) {
    assert.throws(() => sized(100).set("a", bad), RangeError, String(bad));
  }
  const c = sized(100);
  c.set("a", 10);
  assert.throws(() => c.set("a", -5), RangeError);
  assert.equal(c.get("a"), 10, "a refused size leaves the old entry alone");
  for (const bad of [-1, NaN]) {
    assert.throws(() => sized(bad), RangeError);
    assert.throws(() => sized(10, bad), RangeError);
  }
  c.clear();
  assert.equal(c.size, 0);
  assert.equal(c.bytes, 0);
});

Deno.test("lru: a new entry is never the one evicted, even when every other is marked used", () => {
  const c = sized(Infinity, 2);
  c.set("a", 0);
  c.set("b", 0);
  c.get("a");
  c.get("b");
  assert.equal(c.set("c", 0), true);
  assert.deepEqual(
    keys(c, ["a", "b", "c"]),
    ["b", "c"],
    "both passed over once, then the oldest out",
  );
  // Bounded: a long run of hits and inserts keeps exactly the cap.
  for (let i = 0; i < 1000; i++) {
    c.get("c");
    c.set(`k${i}`, 0);
    assert.equal(c.size, 2);
    assert.equal(c.has(`k${i}`), true);
  }
});
