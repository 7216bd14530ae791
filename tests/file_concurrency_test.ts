import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { createHasher, toHex } from "../core/hash/hash.ts";
import { isNetkitError } from "../core/errors.ts";
import { bytes, connect, namesIn, serve, tempDir } from "./file_helpers.ts";

async function hex(data: Uint8Array): Promise<string> {
  const h = await createHasher("xxh3-128");
  h.update(data);
  return toHex(h.digest());
}

Deno.test("concurrency: 50 clients at once list, get and put; every byte checks out", async () => {
  const shared = Array.from({ length: 5 }, (_, i) => bytes(64 * 1024 + i * 1000, 100 + i));
  const files: Record<string, Uint8Array> = {};
  shared.forEach((d, i) => files[`shared-${i}.bin`] = d);
  await using lib = await tempDir(files);
  await using local = await tempDir();
  await using server = await serve(lib.path);
  const CLIENTS = 50;
  const ROUNDS = 4;
  const uploaded = new Map<string, string>();
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    await using client = await connect(server);
    for (let r = 0; r < ROUNDS; r++) {
      const op = (c + r) % 3;
      if (op === 0) {
        const names = (await client.list()).map((e) => e.name);
        for (let i = 0; i < shared.length; i++) assert.ok(names.includes(`shared-${i}.bin`));
      } else if (op === 1) {
        const i = (c * 7 + r) % shared.length;
        const dest = `${local.path}/c${c}-r${r}.bin`;
        const res = await client.download(`shared-${i}.bin`, dest);
        assert.equal(toHex(res.digest), await hex(shared[i]));
        assertSameBytes(await Deno.readFile(dest), shared[i]);
      } else {
        const data = bytes(20_000 + c * 100 + r, 1000 + c * 10 + r);
        const src = `${local.path}/up-c${c}-r${r}.bin`;
        await Deno.writeFile(src, data);
        const res = await client.upload(src, `up-c${c}-r${r}.bin`);
        uploaded.set(`up-c${c}-r${r}.bin`, toHex(res.digest));
      }
    }
  }));
  for (const [name, digest] of uploaded) {
    assert.equal(await hex(await Deno.readFile(`${lib.path}/${name}`)), digest);
  }
  const names = await namesIn(lib.path);
  assert.equal(names.length, shared.length + uploaded.size); // no temp file left behind
});

Deno.test("concurrency: of ten clients racing to create one name, exactly one wins, whole", async () => {
  await using lib = await tempDir();
  await using local = await tempDir();
  await using server = await serve(lib.path);
  const datas = Array.from({ length: 10 }, (_, i) => bytes(300_000, 50 + i));
  for (let i = 0; i < datas.length; i++) await Deno.writeFile(`${local.path}/${i}`, datas[i]);
  const results = await Promise.allSettled(datas.map(async (_, i) => {
    await using client = await connect(server);
    return await client.upload(`${local.path}/${i}`, "race.bin");
  }));
  const won = results.filter((r) => r.status === "fulfilled");
  assert.equal(won.length, 1);
  for (const r of results) {
    if (r.status === "rejected") {
      assert.ok(isNetkitError(r.reason, "EXISTS"), String(r.reason));
    }
  }
  const final = await Deno.readFile(`${lib.path}/race.bin`);
  assert.ok(datas.some((d) => d.length === final.length && d.every((b, i) => b === final[i])));
  assert.deepEqual(await namesIn(lib.path), ["race.bin"]);
});

Deno.test("concurrency: racing overwrites never interleave; the file is one writer's bytes", async () => {
  await using lib = await tempDir({ "o.bin": "original" });
  await using local = await tempDir();
  await using server = await serve(lib.path);
  const datas = Array.from({ length: 8 }, (_, i) => bytes(500_000 + i, 70 + i));
  for (let i = 0; i < datas.length; i++) await Deno.writeFile(`${local.path}/${i}`, datas[i]);
  await Promise.all(datas.map(async (_, i) => {
    await using client = await connect(server);
    await client.upload(`${local.path}/${i}`, "o.bin", { overwrite: true });
  }));
  const final = await Deno.readFile(`${lib.path}/o.bin`);
  assert.ok(datas.some((d) => d.length === final.length && d.every((b, i) => b === final[i])));
  assert.deepEqual(await namesIn(lib.path), ["o.bin"]);
});

Deno.test("concurrency: two servers sharing one folder keep it consistent", async () => {
  await using lib = await tempDir();
  await using local = await tempDir();
  await using a = await serve(lib.path);
  await using b = await serve(lib.path);
  const datas = Array.from({ length: 6 }, (_, i) => bytes(200_000, 90 + i));
  for (let i = 0; i < datas.length; i++) await Deno.writeFile(`${local.path}/${i}`, datas[i]);
  const results = await Promise.allSettled(datas.map(async (_, i) => {
    await using client = await connect(i % 2 ? a : b);
    return await client.upload(`${local.path}/${i}`, "shared.bin");
  }));
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
  await using ca = await connect(a);
  await using cb = await connect(b);
  assert.deepEqual(await ca.list(), await cb.list());
});
