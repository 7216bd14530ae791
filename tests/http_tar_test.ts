// The tar writer (http/tar.ts over modern-tar) read back by GNU tar: names
// of every length and script, folders, modes and times, a member past 8 GiB
// (pax size) streamed to a sparse file; and its pacing: a reader that stops
// stops the file reads, a reader that leaves closes the file and the walk.

import assert from "node:assert/strict";
import { AHEAD, tarStream } from "../http/tar.ts";
import type { ArchiveEntry } from "../http/archive_entry.ts";
import { tempDir } from "./temp_dir.ts";

const MTIME = Date.UTC(2024, 0, 2, 3, 4, 6);

/** A stream of `size` bytes cut from `chunk`, counting what was pulled and seeing a cancel. */
function source(size: number, chunk: Uint8Array) {
  const seen = { pulled: 0, cancelled: Promise.withResolvers<void>() };
  let left = size;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (left === 0) return c.close();
      const n = Math.min(left, chunk.length);
      left -= n;
      seen.pulled += n;
      c.enqueue(chunk.subarray(0, n));
    },
    cancel: () => seen.cancelled.resolve(),
  }, { highWaterMark: 0 });
  return { stream, seen };
}

function entry(name: string, content: Uint8Array | number, o: Partial<ArchiveEntry> = {}) {
  const size = typeof content === "number" ? content : content.length;
  const bytes = typeof content === "number" ? new Uint8Array(8 << 20) : content;
  return {
    name,
    dir: false,
    size,
    mtimeMs: MTIME,
    mode: 0o100644,
    open: () => Promise.resolve(source(size, bytes).stream),
    ...o,
  } satisfies ArchiveEntry;
}

async function* list(...entries: ArchiveEntry[]) {
  yield* entries;
}

async function run(args: string[], cwd?: string) {
  const out = await new Deno.Command("tar", { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

Deno.test("tarStream(): GNU tar reads back long, deep and non-ASCII names, folders, modes and times", async () => {
  await using dir = await tempDir("tar-");
  const enc = new TextEncoder();
  const deep = "d/".repeat(60) + "file.txt"; // 128 bytes: fits prefix + name
  const long = "x".repeat(150); // fits no ustar field: a pax path
  const veryLong = `${"sub".repeat(40)}/${"y".repeat(200)}.txt`;
  const files: [string, string][] = [
    ["a.txt", "a"],
    [deep, "deep"],
    [long, "long"],
    [veryLong, "very long"],
    ["é/日本語 ファイル.txt", "unicode"],
    ["empty.bin", ""],
  ];
  const entries = [
    { ...entry("é", 0), dir: true, mode: 0o40750 },
    ...files.map(([n, text]) => entry(n, enc.encode(text))),
    entry("run.sh", enc.encode("#!/bin/sh\n"), { mode: 0o100751 }),
  ];
  await Deno.writeFile(dir.join("a.tar"), tarStream(list(...entries)));
  const listing = await run(["--numeric-owner", "--utc", "-tvf", dir.join("a.tar")]);
  assert.equal(listing.code, 0, listing.err);
  assert.match(listing.out, /^drwxr-x--- 0\/0 +0 2024-01-02 03:04 é\/$/m);
  assert.match(listing.out, /^-rwxr-x--x 0\/0 +10 2024-01-02 03:04 run\.sh$/m);
  await Deno.mkdir(dir.join("x"));
  const x = await run(["-xf", dir.join("a.tar")], dir.join("x"));
  assert.equal(x.code, 0, x.err);
  for (const [n, text] of files) assert.equal(await Deno.readTextFile(dir.join("x", n)), text, n);
});

Deno.test({
  name: "tarStream(): a member past 8 GiB gets a pax size; tar lists it and the one after",
  ignore: Deno.build.os === "windows", // needs a sparse file
  async fn() {
    await using dir = await tempDir("tar8g-");
    const size = 8 * 2 ** 30 + 5;
    const zeros = new Uint8Array(8 << 20);
    const huge = {
      ...entry("huge.bin", size),
      open: () => Promise.resolve(source(size, zeros).stream),
    };
    const stream = tarStream(list(entry("small.txt", 5), huge, entry("after.txt", 7)));
    using f = await Deno.open(dir.join("big.tar"), { write: true, create: true });
    let at = 0;
    for await (const chunk of stream) {
      // The huge member's chunks are views of `zeros`: holes, so no 8 GiB of disk.
      if (chunk.buffer === zeros.buffer && chunk.length === zeros.length) {
        at += chunk.length;
        await f.seek(at, Deno.SeekMode.Start);
        continue;
      }
      for (let w = 0; w < chunk.length;) w += await f.write(chunk.subarray(w));
      at += chunk.length;
    }
    await f.truncate(at);
    const t = await run(["-tvf", dir.join("big.tar")]);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, new RegExp(` ${size} .* huge\\.bin\\n`));
    assert.match(t.out, / 7 .* after\.txt\n$/);
  },
});

Deno.test("tarStream(): a reader that stops reading stops the file reads near AHEAD bytes", async () => {
  const chunk = new Uint8Array(64 * 1024);
  const { stream: file, seen } = source(64 << 20, chunk);
  const reader = tarStream(
    list({ ...entry("big.bin", 64 << 20), open: () => Promise.resolve(file) }),
  )
    .getReader();
  for (let i = 0; i < 4; i++) assert.ok(!(await reader.read()).done);
  // The writer and the packer move only on promises: one timer turn lets
  // every step they can take without the reader happen.
  await new Promise((r) => setTimeout(r, 0));
  assert.ok(
    seen.pulled <= AHEAD + 6 * chunk.length,
    `read ${seen.pulled} bytes of the file for a reader that took 4 chunks`,
  );
  await reader.cancel();
});

Deno.test("tarStream(): a reader that leaves closes the open file and ends the walk", async () => {
  const { stream: file, seen } = source(64 << 20, new Uint8Array(64 * 1024));
  const walkEnded = Promise.withResolvers<void>();
  async function* walk() {
    try {
      yield entry("first.txt", new Uint8Array(10));
      yield { ...entry("big.bin", 64 << 20), open: () => Promise.resolve(file) };
      yield entry("never.txt", new Uint8Array(10));
    } finally {
      walkEnded.resolve();
    }
  }
  const reader = tarStream(walk()).getReader();
  let got = 0;
  while (got < 1 << 20) got += (await reader.read()).value!.length;
  await reader.cancel(new Error("client gone"));
  await seen.cancelled.promise;
  await walkEnded.promise;
});
