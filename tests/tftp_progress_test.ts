import assert from "node:assert/strict";
import { progressLine } from "../tftp/progress.ts";

Deno.test("tftp progress: the progress line reads well", () => {
  assert.equal(
    progressLine(32 * 1024 ** 2, 64 * 1024 ** 2, 2000),
    "32.0 MiB / 64.0 MiB  50%  16.0 MiB/s",
  );
  assert.equal(progressLine(1024, null, 1000), "1.0 KiB  1.0 KiB/s");
  assert.equal(progressLine(10, 5, 0), "10 B / 5 B  100%  -");
});
