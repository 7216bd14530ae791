// /health: 200 while the service takes work and its library folder answers;
// 503 with the reason when the folder disappears, turns read-only (a tmpfs
// remounted ro) or hangs, and while the service shuts down; 200 again after.
import assert from "node:assert/strict";
import { startServiceAdmin } from "../core/ops/service_admin.ts";
import { adminHandler } from "../core/ops/admin_server.ts";
import { LibraryHealth } from "../core/library/library_health.ts";
import { serve, tempDir } from "./file_helpers.ts";
import { startServer as startTftp } from "./tftp_helpers.ts";
import { startHttpServer } from "../http/server.ts";

async function health(port: number): Promise<[number, string]> {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return [res.status, await res.text()];
}

async function run(cmd: string, ...args: string[]): Promise<{ ok: boolean; err: string }> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output()
    .catch((e) => ({ success: false, stderr: new TextEncoder().encode(String(e)) }));
  return { ok: out.success, err: new TextDecoder().decode(out.stderr).trim() };
}

/** A small tmpfs mounted on a fresh temp folder, unmounted on dispose; null when mounting is not allowed here. */
async function tmpfs(): Promise<(AsyncDisposable & { path: string }) | null> {
  const path = await Deno.makeTempDir({ prefix: "netkit-tmpfs-" });
  const m = await run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", path);
  if (!m.ok) {
    await Deno.remove(path);
    console.error(`skipped the read-only half: cannot mount a tmpfs here (${m.err})`);
    return null;
  }
  return {
    path,
    async [Symbol.asyncDispose]() {
      await run("umount", path);
      await Deno.remove(path, { recursive: true });
    },
  };
}

Deno.test("health: serve-files turns 503 when its folder disappears, 200 when it is back", async () => {
  await using base = await tempDir();
  const root = base.join("lib");
  await Deno.mkdir(root);
  await using server = await serve(root);
  await using admin = await startServiceAdmin({ hostname: "127.0.0.1", port: 0 }, {
    root: server.root,
    writable: true,
    service: server,
  });
  const port = admin.addr.port;
  assert.deepEqual(await health(port), [200, "ok\n"]);
  await Deno.rename(root, base.join("moved"));
  const [status, text] = await health(port);
  assert.equal(status, 503);
  assert.match(text, /^unavailable: cannot read the library folder .*lib: .*No such file/);
  await Deno.rename(base.join("moved"), root);
  assert.deepEqual(await health(port), [200, "ok\n"]);
  // The probe leaves nothing behind.
  assert.deepEqual([...Deno.readDirSync(root)], []);
});

const ROOT = Deno.uid() === 0;

Deno.test({
  name: ROOT
    ? "health: a library on a tmpfs remounted read-only is 503 for a writing service, fine for a reading one"
    : "health: a library on a tmpfs remounted read-only ... [SKIPPED: needs root to mount a tmpfs]",
  ignore: !ROOT,
  fn: readOnlyLibrary,
});

async function readOnlyLibrary() {
  await using fs = await tmpfs();
  if (!fs) return;
  await Deno.writeTextFile(`${fs.path}/a.txt`, "a");
  await using writer = await serve(fs.path);
  await using reader = await startTftp(fs.path, { allowWrite: false });
  await using rw = await startServiceAdmin({ hostname: "127.0.0.1", port: 0 }, {
    root: writer.root,
    writable: true,
    service: writer,
  });
  await using ro = await startServiceAdmin({ hostname: "127.0.0.1", port: 0 }, {
    root: reader.root,
    writable: false,
    service: reader,
  });
  assert.deepEqual(await health(rw.addr.port), [200, "ok\n"]);
  const remount = await run("mount", "-o", "remount,ro", fs.path);
  assert.ok(remount.ok, remount.err);
  try {
    const [status, text] = await health(rw.addr.port);
    assert.equal(status, 503);
    assert.match(
      text,
      /^unavailable: cannot write in the library folder .*: Read-only file system/,
    );
    assert.deepEqual(await health(ro.addr.port), [200, "ok\n"]);
  } finally {
    const back = await run("mount", "-o", "remount,rw", fs.path);
    assert.ok(back.ok, back.err);
  }
  assert.deepEqual(await health(rw.addr.port), [200, "ok\n"]);
  // A full file system fails the write probe too.
  await Deno.writeFile(`${fs.path}/fill`, new Uint8Array(1024 * 1024)).catch(() => {});
  const [full, why] = await health(rw.addr.port);
  assert.equal(full, 503, why);
  assert.match(why, /No space left/);
  await Deno.remove(`${fs.path}/fill`);
  assert.deepEqual(await health(rw.addr.port), [200, "ok\n"]);
}

Deno.test("health: http says 503 while it shuts down", async () => {
  await using dir = await tempDir({ "a.txt": "a" });
  const server = await startHttpServer({ root: dir.path, port: 0, quiet: true });
  await using admin = await startServiceAdmin({ hostname: "127.0.0.1", port: 0 }, {
    root: dir.path,
    writable: false,
    service: server,
  });
  assert.deepEqual(await health(admin.addr.port), [200, "ok\n"]);
  const stopping = server.shutdown();
  assert.deepEqual(await health(admin.addr.port), [503, "unavailable: shutting down\n"]);
  await stopping;
});

Deno.test("health: a folder that hangs is reported once the timeout passes; checks meanwhile share one probe", async () => {
  let probes = 0;
  const hung = Promise.withResolvers<void>();
  const timers: (() => void)[] = [];
  const h = new LibraryHealth("/x", true, {
    timeoutMs: 2000,
    probe: () => {
      probes++;
      return hung.promise;
    },
    sleep: () => new Promise<void>((r) => timers.push(r)), // a virtual clock
  });
  const first = h.check();
  const second = h.check();
  assert.equal(probes, 1);
  timers.forEach((fire) => fire()); // 2 s pass
  assert.equal(await first, "the library folder did not answer within 2000 ms");
  assert.equal(await second, "the library folder did not answer within 2000 ms");
  const third = h.check(); // still hung: no second probe piles up
  assert.equal(probes, 1);
  hung.resolve(); // the file system answers at last
  assert.equal(await third, null);
  assert.equal(await h.check(), null); // a fresh probe, answered before its timeout
  assert.equal(probes, 2);
});

Deno.test("admin endpoint: only GET and HEAD of /health and /metrics", async () => {
  const handle = adminHandler({
    health: () => Promise.resolve("down for a test"),
    metrics: () => Promise.reject(new Error("broken")),
  });
  const at = (path: string, method = "GET") => handle(new Request(`http://x${path}`, { method }));
  let res = await at("/health");
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.equal(await res.text(), "unavailable: down for a test\n");
  res = await at("/health", "HEAD");
  assert.equal(res.status, 503);
  assert.equal(await res.text(), "");
  assert.equal((await at("/metrics")).status, 500);
  assert.equal((await at("/health", "POST")).status, 405);
  assert.equal((await at("/health", "POST")).headers.get("allow"), "GET, HEAD");
  assert.equal((await at("/")).status, 404);
  assert.equal((await at("/health/")).status, 404);
  assert.equal((await at("/metrics?x=1")).status, 500); // the query is ignored
});
