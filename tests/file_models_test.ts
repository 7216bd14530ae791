import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { FileClient } from "../client/client.ts";
import type { FileServer } from "../server/file_server.ts";
import { startWorkersFileServer } from "../server/file_workers.ts";
import { bytes, connect, namesIn, raw, serve, tempDir, untilConnections } from "./file_helpers.ts";

type Model = "loop" | "async" | "workers";

function start(
  model: Model,
  root: string,
  extra: Record<string, unknown> = {},
): Promise<FileServer> {
  return model === "workers"
    ? startWorkersFileServer({
      root,
      hostname: "127.0.0.1",
      port: 0,
      log: null,
      workers: 2,
      ...extra,
    })
    : serve(root, { model, ...extra });
}

// Deno sets SO_REUSEPORT on Linux only and silently ignores it elsewhere, so
// the workers model (N listeners on one port) cannot start on macOS or Windows.
const REUSE_PORT = Deno.build.os === "linux";

/** Deno.test; a "models: workers" test is skipped, saying why, where reusePort is missing. */
function test(name: string, fn: () => Promise<void>): void {
  const ignore = !REUSE_PORT && name.startsWith("models: workers");
  Deno.test({
    name: ignore ? `${name} (skipped: reusePort works on Linux only)` : name,
    ignore,
    fn,
  });
}

for (const model of ["loop", "async", "workers"] as const) {
  test(`models: ${model}: shutdown lets a transfer in flight finish, then stops`, async () => {
    const data = bytes(8 * 1024 * 1024, 41);
    await using lib = await tempDir({ "big.bin": data });
    const server = await start(model, lib.path);
    try {
      await using r = await raw(server);
      await r.hello();
      await r.writer.send({ type: "GET", name: "big.bin", offset: 0 });
      const ok = await r.reader.next();
      assert.equal(ok?.type, "GET_OK");
      const closing = server.close(); // while the file is on its way
      let got = 0;
      const buf = new Uint8Array(1 << 20);
      while (true) {
        const m = await r.reader.next();
        if (m?.type !== "DATA") {
          assert.equal(m?.type, "END");
          break;
        }
        await r.reader.readData(buf.subarray(0, m.length));
        got += m.length;
      }
      assert.equal(got, data.length);
      await closing;
      await server.finished;
      await assert.rejects(
        Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }).then((c) => c.close()),
      );
    } finally {
      await server.close();
    }
  });

  test(`models: ${model}: shutdown ends idle sessions at once, not after the grace`, async () => {
    await using lib = await tempDir();
    const server = await start(model, lib.path, { shutdownGraceMs: 30_000 });
    try {
      await using before = await raw(server);
      await before.hello(); // handshaken, then silent
      await using early = await raw(server); // connected, HELLO not sent yet
      // The loop model serves one client at a time: the second waits to be accepted.
      const want = model === "loop" ? 1 : 2;
      for (let i = 0; i < 3000 && server.connections < want; i++) {
        await new Promise((r) => setTimeout(r, 10)); // polls the count, for at most 30 s
      }
      const t0 = performance.now();
      await server.close();
      assert.ok(performance.now() - t0 < 10_000, "close waited for the grace period");
      assert.equal(await before.reader.next(), null);
      // Accepted but still before HELLO, it was closed as well (the loop model never accepted it).
      if (model !== "loop") assert.equal(await early.reader.next(), null);
    } finally {
      await server.close();
    }
  });

  test(`models: ${model}: ten clients each upload and download, all verified`, async () => {
    await using lib = await tempDir();
    await using local = await tempDir();
    await using server = await start(model, lib.path);
    const run = async (i: number) => {
      const data = bytes(200_000 + i, 500 + i);
      await Deno.writeFile(local.join(`${i}.bin`), data);
      await using c = await connect(server);
      await c.upload(local.join(`${i}.bin`), `f${i}.bin`);
      await c.download(`f${i}.bin`, local.join(`back${i}.bin`));
      assertSameBytes(await Deno.readFile(local.join(`back${i}.bin`)), data);
    };
    // The iterative server takes one client at a time: run them one after another.
    if (model === "loop") { for (let i = 0; i < 10; i++) await run(i); }
    else await Promise.all(Array.from({ length: 10 }, (_, i) => run(i)));
    assert.equal((await namesIn(lib.path)).length, 10);
  });
}

Deno.test("models: loop serves one client at a time; the next is greeted when the first leaves", async () => {
  await using lib = await tempDir({ "a": "a" });
  await using server = await start("loop", lib.path);
  const first = await connect(server);
  let secondIn = false;
  const second = FileClient.connect({ port: server.addr.port }).then((c) => {
    secondIn = true;
    return c;
  });
  assert.equal((await first.list()).length, 1);
  assert.equal((await first.list()).length, 1);
  assert.equal(secondIn, false); // still waiting in the backlog
  await first.quit();
  await using c2 = await second;
  assert.equal((await c2.list()).length, 1);
});

test("models: workers share one connection limit", async () => {
  await using lib = await tempDir({ "a": "a" });
  await using server = await start("workers", lib.path, { maxConnections: 3 });
  const clients = await Promise.all([0, 1, 2].map(() => connect(server)));
  try {
    for (let i = 0; i < 4; i++) {
      await using r = await raw(server);
      const m = await r.reader.next();
      assert.deepEqual(m && m.type === "ERROR" && m.code, "BUSY");
    }
    await clients[0].quit();
    await untilConnections(server, 2);
    await using again = await connect(server);
    assert.equal((await again.list()).length, 1);
  } finally {
    for (const c of clients) await c.quit();
  }
});

Deno.test({
  name: `models: --accept-queues spreads one port over several listeners, all served${
    Deno.build.os === "linux" ? "" : " (skipped: reusePort balancing is Linux-only)"
  }`,
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using lib = await tempDir({ "a": "a" });
    await using server = await serve(lib.path, { acceptQueues: 4 });
    // Many connections from different source ports land on different queues; all are served.
    const clients = await Promise.all(Array.from({ length: 40 }, () => connect(server)));
    try {
      for (const c of clients) assert.equal((await c.list()).length, 1);
      assert.equal(server.connections, 40);
    } finally {
      for (const c of clients) await c.quit();
    }
    await untilConnections(server, 0);
    await assert.rejects(serve(lib.path, { model: "loop", acceptQueues: 2 }), RangeError);
  },
});
