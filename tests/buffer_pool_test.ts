import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { BufferPool, capacityFor } from "../protocol/file/buffer_pool.ts";
import { bytes, connect, serve, tempDir } from "./file_helpers.ts";

Deno.test("buffer pool: capacities are eight steps per power of two from 4 KiB; bad sizes are refused", () => {
  assert.equal(capacityFor(0), 4096);
  assert.equal(capacityFor(1), 4096);
  assert.equal(capacityFor(4096), 4096);
  assert.equal(capacityFor(4097), 5120);
  assert.equal(capacityFor(65536), 65536);
  assert.equal(capacityFor(65536 + 60), 81920);
  assert.equal(capacityFor((1 << 20) + 5), 1310720);
  for (let n = 1; n < 5_000_000; n = Math.ceil(n * 1.37) + 1) {
    const c = capacityFor(n);
    assert.ok(c >= n && c <= Math.max(4096, n * 1.25), `${n} -> ${c}`);
    assert.equal(capacityFor(c), c, `a capacity is its own class (${c})`);
  }
  for (const bad of [-1, 1.5, NaN, Infinity]) assert.throws(() => capacityFor(bad), RangeError);
});

Deno.test("buffer pool: a given-back buffer is taken again; views, odd sizes and doubles are not kept", () => {
  const pool = new BufferPool(1 << 20, 2, 256 * 1024);
  const a = pool.take(70_000);
  assert.equal(a.length, 81920);
  pool.give(a);
  pool.give(a); // twice: kept once
  assert.equal(pool.pooledBytes, 81920);
  assert.equal(pool.take(75_000), a);
  assert.equal(pool.pooledBytes, 0);
  pool.give(a.subarray(0, 65536)); // a view
  pool.give(new Uint8Array(5000)); // not a capacity class
  pool.give(new Uint8Array(512 * 1024)); // larger than maxCapacity
  assert.equal(pool.pooledBytes, 0);
  const bs = [pool.take(8192), pool.take(8192), pool.take(8192)];
  for (const b of bs) pool.give(b);
  assert.equal(pool.pooledBytes, 2 * 8192, "at most maxPerClass per capacity");
  const big = new BufferPool(200_000);
  big.give(new Uint8Array(131072));
  big.give(new Uint8Array(131072));
  assert.equal(big.pooledBytes, 131072, "at most maxBytes in all");
});

Deno.test("buffer pool: reused buffers never leak an earlier transfer's bytes", async () => {
  // Big, then small, then empty files over one connection, both ways: every
  // transfer reuses the buffers the one before left behind, full of its bytes.
  const sizes = [200_000, 70_000, 3, 0, 65_536, 1];
  const files: Record<string, Uint8Array> = {};
  sizes.forEach((n, i) => files[`f${i}.bin`] = bytes(n, 40 + i));
  await using lib = await tempDir(files);
  await using local = await tempDir(files);
  await using server = await serve(lib.path);
  await using client = await connect(server);
  for (const [name, data] of Object.entries(files)) {
    await client.download(name, `${local.path}/down-${name}`);
    assertSameBytes(await Deno.readFile(`${local.path}/down-${name}`), data, name);
    await client.upload(`${local.path}/${name}`, `up-${name}`);
    assertSameBytes(await Deno.readFile(`${lib.path}/up-${name}`), data, `up-${name}`);
  }
});
