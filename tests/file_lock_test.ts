import assert from "node:assert/strict";
import { openPart } from "../client/part_file.ts";
import { isNetkitError } from "../core/errors.ts";
import { lockExclusive } from "../core/library/file_lock.ts";
import { holdLock } from "./lock_holder.ts";
import { tempDir } from "./temp_dir.ts";

function openRw(path: string): Promise<Deno.FsFile> {
  return Deno.open(path, { read: true, write: true, create: true });
}

Deno.test("lockExclusive: a free file at once; a held one refused only after the wait, having tried again", async () => {
  await using dir = await tempDir();
  using holder = await openRw(dir.join("f"));
  assert.equal(await lockExclusive(holder, 0), true);
  using other = await openRw(dir.join("f"));
  let tries = 0;
  const counted = { tryLock: (x?: boolean) => (tries++, other.tryLock(x)) };
  const started = performance.now();
  assert.equal(await lockExclusive(counted, 150), false);
  assert.ok(performance.now() - started >= 149, "gave up before the wait was over");
  assert.ok(tries >= 2, `tried ${tries} times`);
  tries = 0;
  assert.equal(await lockExclusive(counted, 0), false);
  assert.equal(tries, 1);
});

Deno.test("lockExclusive: a lock let go during the wait is taken", async () => {
  await using dir = await tempDir();
  using holder = await holdLock(dir.join("f"));
  using other = await openRw(dir.join("f"));
  holder.releaseAfter(60);
  assert.equal(await lockExclusive(other, 10_000), true);
});

Deno.test("lockExclusive: a lock closed while a child process starts is taken; a single try sometimes is not", async () => {
  // flock belongs to the open file description, which a child spawned while
  // the file is open shares until its exec: close() alone does not free it.
  await using dir = await tempDir();
  const path = dir.join("f");
  let conflicts = 0;
  for (let i = 0; i < 500 && conflicts < 5; i++) {
    const first = await openRw(path);
    assert.equal(await lockExclusive(first), true, `round ${i}: the free lock was refused`);
    const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
    try {
      first.close();
      using again = await openRw(path);
      if (!(await again.tryLock(true))) conflicts++;
      assert.equal(await lockExclusive(again), true, `round ${i}: the lock was still refused`);
    } finally {
      await child.status;
    }
  }
  // The hazard is real here: without it this test would prove nothing.
  assert.ok(conflicts > 0, "no close raced a child's start in 300 rounds");
});

Deno.test("part file: a second download to the same destination is refused as BUSY, then allowed once the first ends", async () => {
  await using dir = await tempDir();
  const dest = dir.join("out.bin");
  const first = await openPart(dest, { resume: true });
  try {
    await assert.rejects(
      openPart(dest, { resume: true }),
      (e: unknown) => isNetkitError(e, "BUSY") && e.message.includes(dest),
    );
  } finally {
    first.close();
  }
  const second = await openPart(dest, { resume: true });
  second.close();
});
