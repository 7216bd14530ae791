import assert from "node:assert/strict";
import { formatBytes, progressLine } from "../tftp/progress.ts";

Deno.test("tftp progress: sizes and the progress line read well", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(64 * 1024 ** 2), "64.0 MiB");
  assert.equal(
    progressLine(32 * 1024 ** 2, 64 * 1024 ** 2, 2000),
    "32.0 MiB / 64.0 MiB  50%  16.0 MiB/s",
  );
  assert.equal(progressLine(1024, null, 1000), "1.0 KiB  1.0 KiB/s");
  assert.equal(progressLine(10, 5, 0), "10 B / 5 B  100%  -/s");
});
