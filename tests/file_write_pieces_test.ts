// The file writers of protocol/transfer.ts: every byte lands, in order, in
// pieces no larger than their limit, whatever a short write returns.
import assert from "node:assert/strict";
import {
  FILE_WRITE_PIECE,
  FileWriter,
  SLOW_SYNC_WRITE_MS,
  SYNC_WRITE_PIECE,
  writeFileAll,
  writeFileAllSync,
} from "../protocol/transfer.ts";

/** A file that takes at most `most` bytes per call and records each call's size. */
function shortWriter(most: number) {
  const chunks: Uint8Array[] = [];
  const sizes: number[] = [];
  const take = (p: Uint8Array) => {
    sizes.push(p.length);
    const n = Math.min(p.length, most);
    chunks.push(p.slice(0, n));
    return n;
  };
  return {
    sizes,
    bytes: () => new Uint8Array(chunks.flatMap((c) => [...c])),
    writeSync: take,
    write: (p: Uint8Array) => Promise.resolve(take(p)),
  };
}

function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
}

Deno.test("file writes: the sync writer keeps pieces small enough for small folios", () => {
  assert.equal(SYNC_WRITE_PIECE, 64 * 1024);
  for (
    const [size, most] of [[0, 1], [1, 1], [SYNC_WRITE_PIECE * 3 + 5, Infinity], [200_000, 7_777]]
  ) {
    const bytes = pattern(size);
    const f = shortWriter(most);
    writeFileAllSync(f, bytes);
    assert.deepEqual(f.bytes(), bytes, `${size}/${most}`);
    assert.ok(f.sizes.every((s) => s <= SYNC_WRITE_PIECE && s > 0));
    if (most === Infinity) assert.equal(f.sizes.length, Math.ceil(size / SYNC_WRITE_PIECE));
  }
});

Deno.test("file writes: the async writer uses its larger pieces and survives short writes", async () => {
  for (const [size, most] of [[0, 1], [FILE_WRITE_PIECE * 2 + 1, Infinity], [300_000, 65_000]]) {
    const bytes = pattern(size);
    const f = shortWriter(most);
    await writeFileAll(f, bytes);
    assert.deepEqual(f.bytes(), bytes, `${size}/${most}`);
    assert.ok(f.sizes.every((s) => s <= FILE_WRITE_PIECE && s > 0));
    if (most === Infinity) assert.equal(f.sizes.length, Math.ceil(size / FILE_WRITE_PIECE));
  }
});

/** A file whose synchronous writes spin for `stall(i)` ms first, counting both kinds of write. */
function stallingFile(stall: (i: number) => number) {
  const out: Uint8Array[] = [];
  const f = {
    syncWrites: 0,
    asyncWrites: 0,
    writeMs: [] as number[],
    bytes: () => {
      const all = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of out) all.set(c, (at += c.length) - c.length);
      return all;
    },
    writeSync(p: Uint8Array) {
      const started = performance.now();
      const until = started + stall(f.syncWrites++);
      while (performance.now() < until) { /* the disk */ }
      out.push(p.slice());
      f.writeMs.push(performance.now() - started);
      return p.length;
    },
    write(p: Uint8Array) {
      f.asyncWrites++;
      out.push(p.slice());
      return Promise.resolve(p.length);
    },
  };
  return f;
}

Deno.test("file writes: a FileWriter turns async after the disk made two pieces wait", async () => {
  const f = stallingFile((i) => i === 1 || i === 3 ? SLOW_SYNC_WRITE_MS + 1 : 0);
  const w = new FileWriter(f);
  const bytes = pattern(10 * SYNC_WRITE_PIECE);
  for (let at = 0; at < bytes.length; at += SYNC_WRITE_PIECE) {
    await w.write(bytes.subarray(at, at + SYNC_WRITE_PIECE));
  }
  assert.deepEqual(f.bytes(), bytes);
  assert.equal(w.synchronous, false);
  // At most 4: a busy machine may stall an earlier piece past the limit too.
  assert.ok(f.syncWrites <= 4, `no synchronous write after the second slow one (${f.syncWrites})`);
  assert.ok(f.asyncWrites >= 6);
});

Deno.test("file writes: one slow piece alone keeps a FileWriter synchronous", async () => {
  const f = stallingFile((i) => i === 0 ? SLOW_SYNC_WRITE_MS + 1 : 0);
  const w = new FileWriter(f);
  const bytes = pattern(6 * SYNC_WRITE_PIECE + 3);
  await w.write(bytes); // 7 pieces in one call
  assert.deepEqual(f.bytes(), bytes);
  const stalls = f.writeMs.filter((ms) => ms > SLOW_SYNC_WRITE_MS - 0.5).length;
  if (stalls <= 1) { // unless the machine stalled a second piece too
    assert.equal(w.synchronous, true);
    assert.equal(f.syncWrites, 7);
    assert.equal(f.asyncWrites, 0);
  }
});
