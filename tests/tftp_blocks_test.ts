// BlockSource and BlockSink without sockets: the await-free fast paths
// (tryNext, tryWrite) cut and glue the same bytes as the awaited ones.
import assert from "node:assert/strict";
import { BlockSink, BlockSource, HEADER } from "../tftp/blocks.ts";
import { memorySink, memorySource, pseudoRandomBytes } from "./tftp_helpers.ts";

async function cut(src: BlockSource): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 100_000 && !src.done; i++) {
    const p = src.tryNext() ?? await src.next();
    out.push(p.slice(HEADER));
    src.release(p);
  }
  return out;
}

Deno.test("tftp blocks: tryNext and next cut exact blocks across read edges", async () => {
  for (const size of [0, 1, 511, 512, 513, 262_144, 262_145, 700_000]) {
    for (const [blksize, piece] of [[512, 100_000], [1428, 777], [65464, 262_144]]) {
      const bytes = pseudoRandomBytes(size, size + blksize);
      const blocks = await cut(new BlockSource(memorySource(bytes, piece), blksize));
      assert.equal(blocks.length, Math.floor(size / blksize) + 1, `${size}/${blksize}`);
      assert.ok(blocks.slice(0, -1).every((b) => b.length === blksize));
      assert.ok(blocks[blocks.length - 1].length < blksize);
      const sink = memorySink();
      const out = new BlockSink(sink);
      for (const b of blocks) if (!out.tryWrite(b)) await out.write(b);
      await out.flush(true);
      assert.deepEqual(sink.bytes(), bytes, `${size}/${blksize}/${piece}`);
    }
  }
});

Deno.test("tftp blocks: tryNext throws once the last block is out", async () => {
  const src = new BlockSource(memorySource(new Uint8Array(10)), 512);
  await cut(src);
  assert.throws(() => src.tryNext(), /exhausted/);
});

Deno.test("tftp blocks: tryWrite declines netascii and a full buffer", async () => {
  const sink = memorySink();
  const ascii = new BlockSink(sink, true);
  assert.equal(ascii.tryWrite(new Uint8Array([13, 10])), false);
  const raw = new BlockSink(sink);
  const big = new Uint8Array(200_000);
  assert.equal(raw.tryWrite(big), true);
  assert.equal(raw.tryWrite(big), false); // would overflow the 256 KiB buffer
  await raw.write(big);
  await raw.flush(true);
  assert.equal(sink.bytes().length, 400_000);
});
