import assert from "node:assert/strict";
import { resolveName } from "../core/library/jail.ts";
import { isNetkitError } from "../core/errors.ts";

const refused = (name: string, windows: boolean) => {
  try {
    resolveName(name, { subdirs: true, hidden: true, windows });
    return false;
  } catch (e) {
    assert.ok(isNetkitError(e, "INVALID_NAME"), String(e));
    return true;
  }
};

// Names a Windows server must never pass to the file system: a device opens
// instead of a file (reading CON waits on the console), a colon names an
// NTFS alternate data stream, a trailing dot or space is silently dropped.
const WINDOWS_TRAPS = [
  "CON",
  "con",
  "nul",
  "NUL.txt",
  "aux.tar.gz",
  "prn",
  "COM1",
  "com9.log",
  "LPT1",
  "lpt\u00b9",
  "CONIN$",
  "conout$",
  "nul .txt",
  "dir/CON",
  "report.txt:hidden",
  "report.txt::$DATA",
  "a:b/c",
  "what?",
  "star*",
  "a<b",
  "a>b",
  'quote"d',
  "pipe|x",
  "trailing.",
  "trailing ",
  "dir./x",
  "...",
];

Deno.test("jail (windows rules): device names, stream colons, wildcards and trailing dots are INVALID_NAME", () => {
  for (const name of WINDOWS_TRAPS) assert.ok(refused(name, true), name);
});

Deno.test("jail (windows rules): ordinary names that merely look similar pass", () => {
  for (
    const name of [
      "console.txt",
      "CONFIG",
      "nullable.ts",
      "auxiliary",
      "com10",
      "lpt",
      "comx.txt",
      "a.b.c",
      "x/y.txt",
      "über.txt",
      "space in.txt",
    ]
  ) {
    assert.deepEqual(resolveName(name, { subdirs: true, windows: true }), name.split("/"), name);
  }
});

Deno.test("jail: the windows rules are on by default only on Windows", () => {
  // On Linux and macOS these are ordinary file names (a colon in a log name).
  const onWindows = Deno.build.os === "windows";
  for (const name of ["2024-01-01T10:00.log", "CON", "x."]) {
    assert.equal(refused(name, onWindows), onWindows, name);
    let threw = false;
    try {
      resolveName(name);
    } catch {
      threw = true;
    }
    assert.equal(threw, onWindows, `default for ${name}`);
  }
});
