// BlockSource and BlockSink without sockets: the await-free fast paths
// (tryNext, tryWrite) cut and glue the same bytes as the awaited ones.
import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { BlockSink, BlockSource, HEADER } from "../tftp/blocks.ts";
import { SLOW_SYNC_MS, SyncGate } from "../core/disk_io.ts";
import { memorySink, memorySource, memorySyncSource, pseudoRandomBytes } from "./tftp_helpers.ts";

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
      assertSameBytes(sink.bytes(), bytes, `${size}/${blksize}/${piece}`);
    }
  }
});

async function glued(blocks: Uint8Array[]): Promise<Uint8Array> {
  const sink = memorySink();
  const out = new BlockSink(sink);
  for (const b of blocks) if (!out.tryWrite(b)) await out.write(b);
  await out.flush(true);
  return sink.bytes();
}

Deno.test("tftp blocks: a synchronous source is read a block ahead, exactly, with no await", async () => {
  for (const size of [0, 1, 511, 512, 513, 65_464, 130_928, 700_000]) {
    for (const [blksize, piece] of [[512, 100_000], [1428, 777], [65464, 262_144], [65464, 1000]]) {
      const bytes = pseudoRandomBytes(size, size ^ blksize);
      const src = memorySyncSource(bytes, piece);
      const blocks = new BlockSource(src, blksize, false, new SyncGate(() => src.now));
      const out: Uint8Array[] = [];
      for (let i = 0; i < 10_000 && !blocks.done; i++) {
        if (i % 3 === 0) blocks.prefetch(); // as the sender does while it waits
        const p = blocks.tryNext();
        assert.ok(p, "never an await for a synchronous source");
        out.push(p.slice(HEADER));
        blocks.release(p);
      }
      assert.equal(out.length, Math.floor(size / blksize) + 1, `${size}/${blksize}`);
      assert.ok(out.slice(0, -1).every((b) => b.length === blksize));
      assertSameBytes(await glued(out), bytes, `${size}/${blksize}/${piece}`);
      assert.equal(src.asyncReads, 0);
    }
  }
});

Deno.test("tftp blocks: synchronous reads that wait for the disk turn the rest async", async () => {
  const bytes = pseudoRandomBytes(40 * 1428 + 7, 3);
  // Reads 2 and 4 take 3 ms each: the disk, not the page cache.
  const slow = (i: number) => i === 2 || i === 4 ? SLOW_SYNC_MS + 1 : 0;
  const src = memorySyncSource(bytes, 100_000, slow);
  const blocks = await cut(new BlockSource(src, 1428, false, new SyncGate(() => src.now)));
  assertSameBytes(await glued(blocks), bytes);
  // No synchronous read after the second slow one.
  assert.equal(src.syncReads, 5);
  assert.ok(src.asyncReads >= 1);
});

Deno.test("tftp blocks: one slow synchronous read alone keeps the transfer synchronous", async () => {
  const bytes = pseudoRandomBytes(40 * 1428 + 7, 4);
  const src = memorySyncSource(bytes, 100_000, (i) => i === 0 ? SLOW_SYNC_MS + 1 : 0);
  const blocks = new BlockSource(src, 1428, false, new SyncGate(() => src.now));
  const out: Uint8Array[] = [];
  for (let i = 0; i < 100 && !blocks.done; i++) {
    const p = blocks.tryNext() ?? await blocks.next();
    out.push(p.slice(HEADER));
    blocks.release(p);
  }
  assertSameBytes(await glued(out), bytes);
  // Every block was read synchronously: 41 blocks, and one more read that
  // finds the end after the 7-byte tail.
  assert.equal(src.asyncReads, 0);
  assert.equal(src.syncReads, 42);
});

Deno.test("tftp blocks: netascii never reads synchronously", async () => {
  const bytes = new TextEncoder().encode("a\nb\r\n".repeat(1000));
  const src = memorySyncSource(bytes);
  const blocks = await cut(new BlockSource(src, 512, true));
  assert.equal(src.syncReads, 0);
  // LF becomes CR LF, CR becomes CR NUL: "a\r\n" and "b\r\0\r\n", 8 bytes a line.
  assert.equal(blocks.reduce((n, b) => n + b.length, 0), 8 * 1000);
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
