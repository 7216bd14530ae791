import assert from "node:assert/strict";
import { formatDuration, formatRate, formatSize, formatTime } from "../core/text/format.ts";

const MiB = 1024 ** 2;

Deno.test("format: sizes in binary units, whole bytes below 1 KiB", () => {
  assert.equal(formatSize(0), "0 B");
  assert.equal(formatSize(1023), "1023 B");
  assert.equal(formatSize(1536), "1.5 KiB");
  assert.equal(formatSize(64 * MiB), "64.0 MiB");
  assert.equal(formatSize(3 * 1024 ** 3), "3.0 GiB");
  assert.equal(formatSize(2 * 1024 ** 5), "2.0 PiB");
  assert.equal(formatSize(208.77099127076175), "209 B");
  assert.equal(formatSize(1023.6), "1.0 KiB");
});

Deno.test("format: a rate is rounded, and '-' before any time has passed", () => {
  assert.equal(formatRate(208.77099127076175, 1), "209 B/s");
  assert.equal(formatRate(2089, 10), "209 B/s");
  assert.equal(formatRate(32 * MiB, 2), "16.0 MiB/s");
  assert.equal(formatRate(10, 0), "-");
});

Deno.test("format: durations and times", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(59.6), "1m00s");
  assert.equal(formatDuration(-1), "--");
  assert.equal(formatDuration(NaN), "--");
  assert.equal(formatTime(Date.UTC(2026, 10, 26, 15, 4, 59)), "2026-11-26 15:04");
});
