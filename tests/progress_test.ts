import assert from "node:assert/strict";
import { formatProgress } from "../core/progress.ts";

const MiB = 1024 ** 2;

Deno.test("progress: known total shows bar, percent, bytes, rate and ETA", () => {
  assert.equal(
    formatProgress({ label: "boot.img", done: 32 * MiB, total: 64 * MiB, elapsed: 2 }, 80),
    "boot.img [#############-------------]  50% 32.0 MiB/64.0 MiB 16.0 MiB/s ETA 2s",
  );
  assert.equal(
    formatProgress({ label: "boot.img", done: 10, total: 5, elapsed: 0 }, 40),
    "boot.… [######] 100% 10 B/5 B - ETA 0s",
  );
  assert.equal(
    formatProgress({ label: "x", done: 2089, total: 10000, elapsed: 10 }, 60),
    "x [####-------------]  21% 2.0 KiB/9.8 KiB 209 B/s ETA 38s",
  );
});

Deno.test("progress: an unknown total shows bytes and rate, the label cut to fit", () => {
  assert.equal(
    formatProgress({ label: "boot.img", done: 1024, total: null, elapsed: 1 }, 80),
    "boot.img 1.0 KiB 1.0 KiB/s",
  );
  const long = formatProgress({ label: "n".repeat(100), done: 1024, total: null, elapsed: 1 }, 40);
  assert.equal(long, `${"n".repeat(21)}… 1.0 KiB 1.0 KiB/s`);
});

Deno.test("progress: a resume's earlier bytes do not count in the rate", () => {
  const line = formatProgress({
    label: "f",
    done: 6 * MiB,
    total: 8 * MiB,
    start: 4 * MiB,
    elapsed: 2,
  });
  assert.match(line, / 75% 6\.0 MiB\/8\.0 MiB 1\.0 MiB\/s ETA 2s$/);
});

Deno.test("progress: the line never exceeds its width, and no rate has a fraction of a byte", () => {
  for (const width of [20, 40, 60, 80, 120, 200]) {
    for (const total of [null, 0, 1, 1000, 10 * MiB]) {
      for (const elapsed of [0, 0.3, 7]) {
        const line = formatProgress(
          { label: "file-".repeat(20), done: 777.7, total, elapsed },
          width,
        );
        if (width >= 60) assert.ok(line.length <= width, `${width}: ${line}`);
        assert.doesNotMatch(line, /\d\.\d{2,}/, line);
      }
    }
  }
});
