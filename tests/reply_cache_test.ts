import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { isNetkitError } from "../core/errors.ts";
import { ReplyCache } from "../server/reply_cache.ts";
import { bytes, connect, serve, tempDir } from "./file_helpers.ts";
import { fileInfo } from "./file_info.ts";

/** A FileInfo with the fields the identity is made of. */
function info(ino: number, size: number, mtimeMs: number, ctimeMs = mtimeMs): Deno.FileInfo {
  return fileInfo({ ino, size, mtimeMs, ctimeMs });
}

/** A `stat` for a cache that must not need one: nothing is kept for the name. */
function unseen(): Deno.FileInfo {
  throw new Error("stat called for a name with nothing kept");
}

Deno.test("reply cache: an answer is kept per file version and hash, and any change drops it", () => {
  const c = new ReplyCache(1000);
  const r = new Uint8Array(100);
  const now = () => info(7, 10, 1000);
  assert.equal(c.get("a", "xxh3-128", unseen), null, "nothing kept: no stat");
  c.set("a", "xxh3-128", info(7, 10, 1000), r);
  assert.equal(c.get("a", "xxh3-128", now), r);
  assert.equal(c.get("a", "sha256", unseen), null, "another hash");
  assert.equal(c.get("b", "xxh3-128", unseen), null, "another name");
  assert.equal(c.get("a", "xxh3-128", () => null), null, "no plain file there now");
  assert.equal(c.get("a", "xxh3-128", now), r, "kept while there was nothing to compare");
  for (
    const changed of [info(8, 10, 1000), info(7, 11, 1000), info(7, 10, 1001), info(7, 10, 1000, 5)]
  ) {
    c.set("a", "xxh3-128", info(7, 10, 1000), r);
    assert.equal(c.get("a", "xxh3-128", () => changed), null);
    assert.equal(c.get("a", "xxh3-128", unseen), null, "dropped once seen stale");
  }
  assert.equal(c.bytes, 0);
});

Deno.test("reply cache: bounded by bytes, least recently used first; 0 keeps nothing", () => {
  const c = new ReplyCache(250);
  const [a, b, d] = [new Uint8Array(100), new Uint8Array(100), new Uint8Array(100)];
  c.set("a", "h", info(1, 1, 1), a);
  c.set("b", "h", info(2, 1, 1), b);
  assert.equal(c.get("a", "h", () => info(1, 1, 1)), a); // a is now the most recent
  c.set("d", "h", info(3, 1, 1), d);
  assert.equal(c.get("b", "h", unseen), null, "b was the least recently used");
  assert.equal(c.get("a", "h", () => info(1, 1, 1)), a);
  assert.equal(c.get("d", "h", () => info(3, 1, 1)), d);
  assert.equal(c.bytes, 200);
  c.set("big", "h", info(4, 1, 1), new Uint8Array(300));
  assert.equal(c.get("big", "h", unseen), null, "larger than the whole cache");
  const off = new ReplyCache(0);
  off.set("a", "h", info(1, 1, 1), a);
  assert.equal(off.get("a", "h", unseen), null);
});

Deno.test("file service: a file answered from memory is never stale: edited in place, replaced, or swapped for a link", async () => {
  await using outside = await tempDir({ "secret": "top secret" });
  await using lib = await tempDir({ "a.bin": bytes(50_000, 1), "b.bin": bytes(50_000, 2) });
  await using local = await tempDir();
  await using server = await serve(lib.path);
  await using client = await connect(server);
  const get = async () => {
    await client.download("a.bin", `${local.path}/a.bin`, { overwrite: true });
    return await Deno.readFile(`${local.path}/a.bin`);
  };
  assertSameBytes(await get(), bytes(50_000, 1));
  assertSameBytes(await get(), bytes(50_000, 1)); // now from the cache
  // Edited in place, same size: the modification time moves.
  await Deno.writeFile(`${lib.path}/a.bin`, bytes(50_000, 3));
  assertSameBytes(await get(), bytes(50_000, 3));
  // Replaced by a rename, as an upload does.
  await Deno.rename(`${lib.path}/b.bin`, `${lib.path}/a.bin`);
  assertSameBytes(await get(), bytes(50_000, 2));
  assertSameBytes(await get(), bytes(50_000, 2));
  // Swapped for a symlink leading outside: refused, not served from memory.
  await Deno.remove(`${lib.path}/a.bin`);
  await Deno.symlink(`${outside.path}/secret`, `${lib.path}/a.bin`);
  await assert.rejects(get(), (e: unknown) => isNetkitError(e, "FORBIDDEN"));
  // Gone: NOT_FOUND.
  await Deno.remove(`${lib.path}/a.bin`);
  await assert.rejects(get(), (e: unknown) => isNetkitError(e, "NOT_FOUND"));
});
