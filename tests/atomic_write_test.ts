/**
 * Tests for `server/atomic_write.ts` with real temp folders: create-only and
 * overwrite commits, aborts, a 20-writer race, and stale temp cleaning.
 */

import assert from "node:assert/strict";
import { NetkitError } from "../core/errors.ts";
import { AtomicFile } from "../core/library/atomic_file.ts";
import { cleanStaleTemps, TEMP_PREFIX } from "../core/library/temp_files.ts";
import { tempDir } from "./temp_dir.ts";
import { PERMISSIONS } from "../scripts/compile.ts";

const enc = new TextEncoder();

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

async function temps(dir: string): Promise<string[]> {
  return (await entries(dir)).filter((n) => n.startsWith(TEMP_PREFIX));
}

async function put(dir: string, name: string, text: string, overwrite = false) {
  await using f = await AtomicFile.create(dir, name);
  await f.write(enc.encode(text));
  await f.commit(overwrite);
}

Deno.test("commit create-only publishes the bytes and leaves no temp", async () => {
  await using d = await tempDir("atomic-");
  const f = await AtomicFile.create(d.path, "a.txt");
  assert.ok(f.tempPath.startsWith(`${d.path}/${TEMP_PREFIX}`), f.tempPath);
  assert.equal(f.finalPath, `${d.path}/a.txt`);
  await f.write(enc.encode("hello "));
  await f.write(enc.encode("world"));
  assert.deepEqual(
    await entries(d.path),
    [f.tempPath.slice(d.path.length + 1)],
    "only the temp while in flight",
  );
  await f.commit(false);
  assert.equal(await Deno.readTextFile(`${d.path}/a.txt`), "hello world");
  assert.deepEqual(await entries(d.path), ["a.txt"]);
  await f.abort(); // after commit: a no-op that keeps the file
  await f[Symbol.asyncDispose]();
  assert.deepEqual(await entries(d.path), ["a.txt"]);
  await assert.rejects(
    () => f.commit(false),
    (e: unknown) => e instanceof Error && e.message.includes("already finished"),
  );
});

Deno.test("a second create-only commit to the same name fails EXISTS and leaves no temp", async () => {
  await using d = await tempDir("atomic-");
  await put(d.path, "a.txt", "first");
  await assert.rejects(
    () => put(d.path, "a.txt", "second"),
    (e: unknown) => e instanceof NetkitError && e.code === "EXISTS",
  );
  assert.equal(await Deno.readTextFile(`${d.path}/a.txt`), "first");
  assert.deepEqual(await entries(d.path), ["a.txt"]);
});

Deno.test("overwrite replaces an existing file", async () => {
  await using d = await tempDir("atomic-");
  await put(d.path, "a.txt", "a much longer first version");
  await put(d.path, "a.txt", "v2", true);
  assert.equal(await Deno.readTextFile(`${d.path}/a.txt`), "v2");
  await put(d.path, "new.txt", "fresh", true); // overwrite of nothing creates
  assert.deepEqual(await entries(d.path), ["a.txt", "new.txt"]);
});

Deno.test("a folder under the final name is EXISTS either way, and no temp stays", async () => {
  await using d = await tempDir("atomic-");
  await Deno.mkdir(`${d.path}/dir`);
  for (const overwrite of [false, true]) {
    await assert.rejects(
      () => put(d.path, "dir", "x", overwrite),
      (e: unknown) => e instanceof NetkitError && e.code === "EXISTS",
      `overwrite ${overwrite}`,
    );
  }
  assert.deepEqual(await entries(d.path), ["dir"]);
});

Deno.test("abort and asyncDispose leave nothing behind", async () => {
  await using d = await tempDir("atomic-");
  const f = await AtomicFile.create(d.path, "a.txt");
  await f.write(enc.encode("partial"));
  await f.abort();
  await f.abort(); // twice is fine
  assert.deepEqual(await entries(d.path), []);
  await assert.rejects(() => f.commit(false), Error);
  assert.deepEqual(await entries(d.path), []);
  {
    await using g = await AtomicFile.create(d.path, "b.txt");
    await g.write(enc.encode("never committed"));
  }
  assert.deepEqual(await entries(d.path), []);
  // Disposal also runs when the block throws.
  await assert.rejects(
    async () => {
      await using h = await AtomicFile.create(d.path, "c.txt");
      await h.write(enc.encode("x"));
      throw new Error("client went away");
    },
    (e: unknown) => e instanceof Error && e.message.includes("went away"),
  );
  assert.deepEqual(await entries(d.path), []);
});

Deno.test("AtomicFile.create in a missing folder is NOT_FOUND", async () => {
  await using d = await tempDir("atomic-");
  await assert.rejects(
    () => AtomicFile.create(`${d.path}/nope`, "a"),
    (e: unknown) => e instanceof NetkitError && e.code === "NOT_FOUND",
  );
});

/** 20 writers, each writing 16 chunks of 4 KiB of its own byte, interleaved. */
async function race(dir: string, overwrite: boolean) {
  const writers = 20;
  const files = await Promise.all(
    Array.from({ length: writers }, () => AtomicFile.create(dir, "race.bin")),
  );
  try {
    for (let chunk = 0; chunk < 16; chunk++) {
      await Promise.all(
        files.map((f, i) => f.write(new Uint8Array(4096).fill(i + 1))),
      );
    }
    return await Promise.allSettled(files.map((f) => f.commit(overwrite)));
  } finally {
    await Promise.all(files.map((f) => f.abort()));
  }
}

function assertOneWritersBytes(bytes: Uint8Array) {
  assert.equal(bytes.length, 16 * 4096);
  const owner = bytes[0];
  assert.ok(owner >= 1 && owner <= 20, `owner ${owner}`);
  assert.ok(
    bytes.every((b) => b === owner),
    "bytes of one writer only, never interleaved",
  );
}

Deno.test("20 create-only writers racing for one name: exactly one wins", async () => {
  await using d = await tempDir("atomic-");
  const results = await race(d.path, false);
  const won = results.filter((r) => r.status === "fulfilled");
  const lost = results.filter((r) => r.status === "rejected");
  assert.equal(won.length, 1);
  for (const r of lost) {
    assert.equal((r as PromiseRejectedResult).reason?.code, "EXISTS");
  }
  const bytes = await Deno.readFile(`${d.path}/race.bin`);
  assertOneWritersBytes(bytes);
  assert.equal(
    bytes[0],
    results.findIndex((r) => r.status === "fulfilled") + 1,
    "the winner's bytes",
  );
  assert.deepEqual(await entries(d.path), ["race.bin"]);
});

Deno.test("20 overwriting writers racing: the result is one writer's whole file", async () => {
  await using d = await tempDir("atomic-");
  const results = await race(d.path, true);
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 20);
  assertOneWritersBytes(await Deno.readFile(`${d.path}/race.bin`));
  assert.deepEqual(await entries(d.path), ["race.bin"]);
});

/** This host's tag as AtomicFile writes it, read back from a real temp name. */
async function hostTag(dir: string): Promise<string> {
  await using f = await AtomicFile.create(dir, "probe");
  const [host, pid] = f.tempPath.slice(dir.length + 1 + TEMP_PREFIX.length)
    .split(".");
  assert.equal(Number(pid), Deno.pid);
  return host;
}

async function deadPid(): Promise<number> {
  const child = new Deno.Command("true", { stdout: "null", stderr: "null" })
    .spawn();
  await child.status;
  return child.pid;
}

// Linux only: a writer's liveness is read from /proc; elsewhere only the age rule applies.
const LINUX = { ignore: Deno.build.os !== "linux" };
const PROC = LINUX.ignore ? " (skipped: Linux only, pids from /proc)" : "";

Deno.test("cleanStaleTemps removes dead temps, keeps live ones" + PROC, LINUX, async () => {
  await using d = await tempDir("atomic-");
  const host = await hostTag(d.path);
  const dead = await deadPid();
  const hourAgo = new Date(Date.now() - 3_600_000);
  const make = async (name: string, old = false) => {
    await Deno.writeTextFile(`${d.path}/${name}`, "x");
    if (old) await Deno.utime(`${d.path}/${name}`, hourAgo, hourAgo);
  };
  await make(`${TEMP_PREFIX}${host}.1.00aa`, true); // old: removed whoever owns it
  await make(`${TEMP_PREFIX}${host}.${dead}.00bb`); // fresh but its writer is dead: removed
  await make(`${TEMP_PREFIX}${host}.1.00cc`); // fresh, pid 1 is alive: kept
  await make(`${TEMP_PREFIX}${host}.${Deno.pid}.00dd`); // our own, fresh: kept
  await make(`${TEMP_PREFIX}otherhost.${dead}.00ee`); // another host's: kept while fresh
  await make("data.txt", true); // not a temp: kept however old
  await Deno.mkdir(`${d.path}/${TEMP_PREFIX}folder`); // not a file: kept
  await using inFlight = await AtomicFile.create(d.path, "upload.bin");
  await inFlight.write(enc.encode("in flight"));

  assert.equal(await cleanStaleTemps(d.path), 2);
  const kept = await entries(d.path);
  assert.deepEqual(
    kept,
    [
      `${TEMP_PREFIX}${host}.${Deno.pid}.00dd`,
      `${TEMP_PREFIX}${host}.1.00cc`,
      `${TEMP_PREFIX}folder`,
      inFlight.tempPath.slice(d.path.length + 1),
      `${TEMP_PREFIX}otherhost.${dead}.00ee`,
      "data.txt",
    ].sort(),
  );
  // The in-flight writer is unharmed and still commits.
  await inFlight.commit(false);
  assert.equal(await Deno.readTextFile(`${d.path}/upload.bin`), "in flight");
  // A short staleAfterMs sweeps the rest of the fresh temp files.
  await Deno.utime(`${d.path}/${TEMP_PREFIX}${host}.1.00cc`, hourAgo, hourAgo);
  assert.equal(await cleanStaleTemps(d.path, 60_000), 1);
  assert.equal((await temps(d.path)).length, 3);
});

Deno.test(
  "cleanStaleTemps with netkit's own permissions keeps a live process's temp file" + PROC,
  LINUX,
  async () => {
    // netkit runs with --allow-read, under which Deno refuses to stat
    // /proc/<pid>: a writer whose liveness cannot be read counts as alive.
    await using d = await tempDir("atomic-");
    const host = await hostTag(d.path);
    const live = `${TEMP_PREFIX}${host}.${Deno.pid}.00aa`;
    await Deno.writeTextFile(`${d.path}/${live}`, "in flight in another process");
    const script = `${d.path}/sweep.ts`;
    const module = new URL("../core/library/temp_files.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { cleanStaleTemps } from "${module}";\n` +
        `console.log(await cleanStaleTemps(Deno.args[0]));\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, script, d.path],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const said = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, said);
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "0", said);
    assert.ok((await entries(d.path)).includes(live));
  },
);
