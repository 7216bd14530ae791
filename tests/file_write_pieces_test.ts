// The FileWriter of core/disk_io.ts: every byte lands, in order, in
// pieces no larger than their limit, whatever a short write returns; it
// writes synchronously until the disk has made two pieces wait.
import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import {
  FILE_WRITE_PIECE,
  FileWriter,
  SLOW_SYNC_MS,
  SYNC_WRITE_PIECE,
  SyncGate,
} from "../core/disk_io.ts";
import { concat } from "./protocol_samples.ts";

/**
 * A file that takes at most `most` bytes per call, whose i-th synchronous
 * write takes `stall(i)` ms (the disk) on a virtual clock, `now`; it records
 * every call. Only the played stalls move the clock, so a stall of the
 * machine running the test cannot change what the writer decides.
 */
function fakeFile(most = Infinity, stall: (i: number) => number = () => 0) {
  const chunks: Uint8Array[] = [];
  const take = (p: Uint8Array) => {
    const n = Math.min(p.length, most);
    chunks.push(p.slice(0, n));
    return n;
  };
  const f = {
    /** Sizes asked of each synchronous and each asynchronous write. */
    syncSizes: [] as number[],
    asyncSizes: [] as number[],
    /** The virtual clock, ms. */
    now: 0,
    bytes: () => concat(chunks),
    writeSync(p: Uint8Array) {
      f.now += stall(f.syncSizes.length);
      f.syncSizes.push(p.length);
      return take(p);
    },
    write(p: Uint8Array) {
      f.asyncSizes.push(p.length);
      return Promise.resolve(take(p));
    },
  };
  return f;
}

/** A FileWriter for `f` that reads the time from `f`'s virtual clock. */
function writerFor(f: ReturnType<typeof fakeFile>): FileWriter {
  return new FileWriter(f, new SyncGate(() => f.now));
}

function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
}

Deno.test("file writes: synchronous pieces stay small enough for small folios", async () => {
  assert.equal(SYNC_WRITE_PIECE, 64 * 1024);
  for (
    const [size, most] of [[0, 1], [1, 1], [SYNC_WRITE_PIECE * 3 + 5, Infinity], [200_000, 7_777]]
  ) {
    const bytes = pattern(size);
    const f = fakeFile(most);
    const w = writerFor(f);
    await w.write(bytes);
    assertSameBytes(f.bytes(), bytes, `${size}/${most}`);
    assert.equal(f.asyncSizes.length, 0);
    assert.ok(f.syncSizes.every((s) => s <= SYNC_WRITE_PIECE && s > 0));
    if (most === Infinity) assert.equal(f.syncSizes.length, Math.ceil(size / SYNC_WRITE_PIECE));
  }
});

Deno.test("file writes: asynchronous pieces use the larger limit and survive short writes", async () => {
  for (const [size, most] of [[0, 1], [FILE_WRITE_PIECE * 2 + 1, Infinity], [300_000, 65_000]]) {
    // Two slow pieces close the gate; then the bytes under test go async.
    const f = fakeFile(most, (i) => i < 2 ? SLOW_SYNC_MS + 1 : 0);
    const w = writerFor(f);
    const prefix = pattern(2);
    await w.write(prefix.subarray(0, 1));
    await w.write(prefix.subarray(1));
    assert.equal(w.synchronous, false);
    const bytes = pattern(size);
    await w.write(bytes);
    const all = new Uint8Array(2 + size);
    all.set(prefix);
    all.set(bytes, 2);
    assertSameBytes(f.bytes(), all, `${size}/${most}`);
    assert.equal(f.syncSizes.length, 2);
    assert.ok(f.asyncSizes.every((s) => s <= FILE_WRITE_PIECE && s > 0));
    if (most === Infinity) assert.equal(f.asyncSizes.length, Math.ceil(size / FILE_WRITE_PIECE));
  }
});

Deno.test("file writes: a FileWriter turns async after the disk made two pieces wait", async () => {
  const f = fakeFile(Infinity, (i) => i === 1 || i === 3 ? SLOW_SYNC_MS + 1 : 0);
  const w = writerFor(f);
  const bytes = pattern(10 * SYNC_WRITE_PIECE);
  for (let at = 0; at < bytes.length; at += SYNC_WRITE_PIECE) {
    await w.write(bytes.subarray(at, at + SYNC_WRITE_PIECE));
  }
  assertSameBytes(f.bytes(), bytes);
  assert.equal(w.synchronous, false);
  // No synchronous write after the second slow one.
  assert.equal(f.syncSizes.length, 4);
  assert.equal(f.asyncSizes.length, 6);
});

Deno.test("file writes: one slow piece alone keeps a FileWriter synchronous", async () => {
  const f = fakeFile(Infinity, (i) => i === 0 ? SLOW_SYNC_MS + 1 : 0);
  const w = writerFor(f);
  const bytes = pattern(6 * SYNC_WRITE_PIECE + 3);
  await w.write(bytes); // 7 pieces in one call
  assertSameBytes(f.bytes(), bytes);
  assert.equal(w.synchronous, true);
  assert.equal(f.syncSizes.length, 7);
  assert.equal(f.asyncSizes.length, 0);
});

Deno.test("file writes: a piece of exactly the slow limit is not slow", async () => {
  const f = fakeFile(Infinity, () => SLOW_SYNC_MS);
  const w = writerFor(f);
  await w.write(pattern(5 * SYNC_WRITE_PIECE));
  assert.equal(w.synchronous, true);
  assert.equal(f.asyncSizes.length, 0);
});
