// The file writers of protocol/transfer.ts: every byte lands, in order, in
// pieces no larger than their limit, whatever a short write returns.
import assert from "node:assert/strict";
import {
  FILE_WRITE_PIECE,
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
