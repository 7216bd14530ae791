import assert from "node:assert/strict";
import { CommandError, parseCommand, tokenize } from "../client/commands.ts";
import { formatListing } from "../client/format.ts";
import { printableName } from "../core/text/printable.ts";
import { formatDuration, formatSize } from "../core/text/format.ts";
import { formatProgress } from "../core/text/progress.ts";
import { partPathFor } from "../client/part_file.ts";
import { safeLocalName } from "../client/repl.ts";

Deno.test("commands: tokenize honours quotes and escapes", () => {
  assert.deepEqual(tokenize(`get "my file.txt" 'a b'`), ["get", "my file.txt", "a b"]);
  assert.deepEqual(tokenize(`put a\\ b.txt`), ["put", "a b.txt"]);
  assert.deepEqual(tokenize(`get ""`), ["get", ""]);
  assert.deepEqual(tokenize(`  ls   `), ["ls"]);
  assert.deepEqual(tokenize(`get "a\\"b"`), ["get", 'a"b']);
  assert.throws(() => tokenize(`get "open`), CommandError);
});

Deno.test("commands: menu numbers and words map to the same commands", () => {
  assert.deepEqual(parseCommand("1"), { kind: "list" });
  assert.deepEqual(parseCommand("LS"), { kind: "list" });
  assert.deepEqual(parseCommand("2"), {
    kind: "get",
    name: undefined,
    dest: undefined,
    resume: false,
    overwrite: false,
  });
  assert.deepEqual(parseCommand("get a.txt b.txt --resume"), {
    kind: "get",
    name: "a.txt",
    dest: "b.txt",
    resume: true,
    overwrite: false,
  });
  assert.deepEqual(parseCommand("upload x --overwrite"), {
    kind: "put",
    file: "x",
    name: undefined,
    resume: false,
    overwrite: true,
  });
  assert.deepEqual(parseCommand("4"), { kind: "quit" });
  assert.deepEqual(parseCommand("?"), { kind: "help" });
  assert.deepEqual(parseCommand(""), { kind: "empty" });
  for (const bad of ["rm x", "ls extra", "get a b c", "put x --resume-all", "ls --json", "5"]) {
    assert.throws(() => parseCommand(bad), CommandError, bad);
  }
});

Deno.test("format: sizes, durations and a listing", () => {
  assert.equal(formatSize(0), "0 B");
  assert.equal(formatSize(1023), "1023 B");
  assert.equal(formatSize(1536), "1.5 KiB");
  assert.equal(formatSize(3 * 1024 ** 3), "3.0 GiB");
  assert.equal(formatDuration(42), "42s");
  assert.equal(formatDuration(185), "3m05s");
  assert.equal(formatDuration(3720), "1h02m");
  assert.equal(formatDuration(Infinity), "--");
  assert.equal(formatListing([]), "(no files)");
  const table = formatListing([{
    name: "a.txt",
    size: 10,
    mtimeMs: Date.UTC(2026, 10, 26, 15, 4),
  }]);
  assert.equal(table, "SIZE  MODIFIED (UTC)    NAME\n10 B  2026-11-26 15:04  a.txt\n1 file, 10 B");
});

Deno.test("format: hostile names cannot drive the terminal", () => {
  assert.equal(printableName("a\x1b[2Jb\u009b\n"), "a\\x1b[2Jb\\x9b\\x0a");
  const line = formatListing([{ name: "\x1b]0;pwned\x07", size: 1, mtimeMs: 0 }]);
  assert.ok(![...line.replaceAll("\n", "")].some((c) => c.charCodeAt(0) < 0x20));
});

Deno.test("format: the progress line fits its width and shows rate and ETA", () => {
  const line = formatProgress({
    label: "a-rather-long-file-name.iso",
    done: 512 * 1024 ** 2,
    total: 1024 ** 3,
    start: 0,
    elapsed: 2,
  }, 80);
  assert.ok(line.length <= 80, `${line.length}: ${line}`);
  assert.match(line, / 50% 512\.0 MiB\/1\.0 GiB 256\.0 MiB\/s ETA 2s$/);
  const done = formatProgress({ label: "x", done: 10, total: 10, start: 0, elapsed: 1 }, 60);
  assert.match(done, /100% .* ETA 0s$/);
});

Deno.test("part files sit beside the destination, hidden", () => {
  assert.equal(partPathFor("a.bin"), ".a.bin.netkit-part");
  assert.equal(partPathFor("/tmp/x/a.bin"), "/tmp/x/.a.bin.netkit-part");
  assert.equal(partPathFor("C:\\dl\\a.bin"), "C:\\dl\\.a.bin.netkit-part");
});

Deno.test("a hostile listing cannot choose where a download lands", () => {
  assert.equal(safeLocalName("report.pdf"), "report.pdf");
  assert.equal(safeLocalName("dir/report.pdf"), "report.pdf");
  assert.equal(safeLocalName("..\\..\\evil"), "evil");
  for (const bad of ["..", "../", "", ".netkit-tmp.x", "a\u0000b", "x/.."]) {
    assert.equal(safeLocalName(bad), undefined, JSON.stringify(bad));
  }
});
