import assert from "node:assert/strict";
import { formatProgress, ProgressLine } from "../core/text/progress.ts";
import { displayWidth, fitWidth } from "../core/text/text_width.ts";
import { VirtualClock } from "./virtual_clock.ts";

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

Deno.test("progress: the line fits its width in columns: wide CJK and emoji, zero-width marks", () => {
  const labels = [
    "日本語のファイル名です.txt".repeat(3),
    "😀🎉👨‍👩‍👧".repeat(10),
    "e\u0301".repeat(60), // e + combining acute: one column each
    "한국어 파일",
    "plain-" + "x".repeat(90),
    "ｆｕｌｌｗｉｄｔｈ",
  ];
  for (const label of labels) {
    for (let width = 0; width <= 140; width++) {
      for (const total of [null, 10 * MiB]) {
        const line = formatProgress(
          { label, done: 3 * MiB, total, elapsed: 3.3, start: 0 },
          width,
        );
        assert.ok(displayWidth(line) <= width, `${width} columns: ${line}`);
      }
    }
  }
  // Combining marks count nothing, so this label is 60 columns wide and fits.
  assert.match(
    formatProgress({ label: "e\u0301".repeat(60), done: 1, total: null, elapsed: 1 }),
    /^(e\u0301){60} 1 B 1 B\/s$/,
  );
  assert.equal(displayWidth("日本"), 4);
  assert.equal(displayWidth("👨‍👩‍👧"), 2);
  assert.equal(displayWidth("❤️"), 2);
  assert.equal(displayWidth("e\u0301"), 1);
  assert.equal(fitWidth("日本語", 4), "日…");
});

Deno.test("progress: a narrow terminal drops the bar, then the sizes, then the rate", () => {
  const p = { label: "boot.img", done: 5 * MiB, total: 10 * MiB, elapsed: 5 };
  assert.equal(formatProgress(p, 52), "boot.img  50% 5.0 MiB/10.0 MiB 1.0 MiB/s ETA 5s");
  assert.equal(formatProgress(p, 34), "boot.img  50% 1.0 MiB/s ETA 5s");
  assert.equal(formatProgress(p, 21), "boot.img  50% ETA 5s");
  assert.equal(formatProgress(p, 13), "boot.img  50%");
  assert.equal(formatProgress(p, 5), "boot…");
});

Deno.test("progress: redrawn on a timer, so a stall shows a falling rate and a growing ETA", () => {
  const clock = new VirtualClock();
  const out: string[] = [];
  const bar = new ProgressLine("f.bin", {
    enabled: true,
    write: (t) => out.push(t),
    columns: () => 80,
    clock,
  });
  bar.update({ done: 0, total: 8 * MiB });
  clock.advance(1000);
  bar.update({ done: 2 * MiB, total: 8 * MiB }); // 2 MiB in the first second, then nothing
  clock.advance(3000);
  assert.equal(clock.pending, 1);
  const lines = out.map((t) => t.replace("\r\x1b[2K", ""));
  // No new bytes after the first second: each redraw shows a lower rate and a longer ETA.
  assert.deepEqual(lines.slice(-3).map((l) => / (\S+ \S+\/s) ETA (\S+)$/.exec(l)!.slice(1)), [
    ["1.0 MiB/s", "6s"],
    ["682.7 KiB/s", "9s"],
    ["512.0 KiB/s", "12s"],
  ]);
  bar.done();
  assert.equal(clock.pending, 0, "done() stops the timer");
  assert.equal(out.at(-1), "\n");
  const drawn = out.length;
  clock.advance(5000);
  assert.equal(out.length, drawn);
});
