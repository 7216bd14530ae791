// A response body that the client stops reading is aborted after the stall
// timeout, timed on a virtual clock: no waiting, and no race with a busy
// machine (the end-to-end check is in tests/http_server_test.ts).
import assert from "node:assert/strict";
import { CHUNK_SIZE, partsBody } from "../http/body.ts";
import { isNetkitError } from "../core/errors.ts";
import { tempDir } from "./temp_dir.ts";
import { VirtualClock } from "./virtual_clock.ts";

/** Yields to the event loop until `ready()` holds (at most 1000 turns). */
async function turnsUntil(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !ready(); i++) await new Promise((r) => setTimeout(r, 0));
  assert.ok(ready(), "never got ready");
}

Deno.test("partsBody: a client that takes nothing for stallMs gets the response aborted", async () => {
  await using dir = await tempDir();
  const path = dir.join("f.bin");
  await Deno.writeFile(path, new Uint8Array(4 * CHUNK_SIZE));
  const file = await Deno.open(path);
  const clock = new VirtualClock();
  const reader = partsBody(file, [{ start: 0, length: 4 * CHUNK_SIZE }], 200, clock).getReader();
  assert.equal((await reader.read()).value?.length, CHUNK_SIZE);
  await turnsUntil(() => clock.pending === 1); // the next chunk waits, its stall timer armed
  clock.advance(199);
  clock.advance(1);
  await assert.rejects(reader.read(), (e) => isNetkitError(e, "TIMEOUT"));
  assert.throws(() => file.statSync(), Deno.errors.BadResource, "the file was closed");
});

Deno.test("partsBody: a client that keeps reading, however slowly, is never cut off", async () => {
  await using dir = await tempDir();
  const path = dir.join("f.bin");
  await Deno.writeFile(path, new Uint8Array(4 * CHUNK_SIZE + 5));
  const file = await Deno.open(path);
  const clock = new VirtualClock();
  const reader = partsBody(file, [{ start: 0, length: 4 * CHUNK_SIZE + 5 }], 200, clock)
    .getReader();
  let total = 0;
  for (let i = 0; i < 10; i++) {
    const r = await reader.read();
    if (r.done) break;
    total += r.value.length;
    clock.advance(199); // just inside the stall timeout each time
  }
  assert.equal(total, 4 * CHUNK_SIZE + 5);
  assert.equal(clock.pending, 0, "no timer left behind");
});
