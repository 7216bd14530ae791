/**
 * Table tests for the pure half of the root jail (`server/jail.ts`), in the
 * manner of caddy's SanitizedPathJoin tests: every attack is refused, never
 * repaired, and nothing is decoded in this layer: percent-encoded dots,
 * slashes, backslashes and NUL are refused as they stand, so no layer that
 * decodes once more can turn them into a traversal.
 */

import assert from "node:assert/strict";
import { NetkitError } from "../core/errors.ts";
import {
  acceptsName,
  isInside,
  joinInRoot,
  MAX_SEGMENT_BYTES,
  type NameRules,
  resolveName,
} from "../core/library/jail.ts";

const FLAT: NameRules = {};
const SUB: NameRules = { subdirs: true };
const HIDDEN: NameRules = { hidden: true };
const ALL: NameRules = { subdirs: true, hidden: true };
const RULES = { FLAT, SUB, HIDDEN, ALL };

/** For `assert.throws`: an INVALID_NAME NetkitError whose message includes `part`. */
const invalidName = (part = "") => (e: unknown) =>
  e instanceof NetkitError && e.code === "INVALID_NAME" && e.message.includes(part);

/** Refused under every rule set. */
const ALWAYS_REFUSED: [string, string][] = [
  ["empty", ""],
  ["dot", "."],
  ["dot dot", ".."],
  ["parent then name", "../x"],
  ["parent twice", "../../etc/passwd"],
  ["climb out from a subfolder", "a/../../b"],
  ["climb back in", "a/../a/b"],
  ["dot segment", "a/./b"],
  ["trailing dot dot", "a/.."],
  ["absolute", "/etc/passwd"],
  ["absolute root", "/"],
  ["double slash", "//server/share"],
  ["drive with backslash", "C:\\x"],
  ["drive relative", "c:x"],
  ["bare drive", "Z:"],
  ["drive with slash", "c:/windows/win.ini"],
  ["drive in a subfolder", "a/c:x.txt"],
  ["backslash", "a\\b"],
  ["backslash parent", "..\\x"],
  ["backslash parent deep", "a\\..\\..\\x"],
  ["UNC", "\\\\server\\share"],
  ["NUL inside", "a\0b"],
  ["NUL alone", "\0"],
  ["NUL after extension", "x.txt\0.png"],
  ["newline", "a\nb"],
  ["carriage return", "log\r"],
  ["tab", "\tx"],
  ["escape sequence", "\x1b[31mred"],
  ["DEL", "a\x7f"],
  ["C1 NEL", "a\u0085b"],
  ["C1 CSI", "\u009b31mred"],
  ["leading slash on subpath", "/a/b"],
  ["trailing slash", "a/"],
  ["empty middle segment", "a//b"],
  ["internal temp", ".netkit-tmp.host.1.abcd"],
  ["internal prefix", ".netkit-anything"],
  ["internal temp in a subfolder", "a/.netkit-tmp.x"],
  ["256-byte segment", "x".repeat(MAX_SEGMENT_BYTES + 1)],
  ["256-byte segment of 2-byte chars", "é".repeat(128)],
  ["percent-encoded dots", "%2e%2e"],
  ["percent-encoded dots, upper case", "%2E%2E"],
  ["percent-encoded traversal", "%2e%2e%2fetc%2fpasswd"],
  ["encoded slash", "a%2fb"],
  ["encoded backslash", "%5c"],
  ["encoded NUL", "x.txt%00.png"],
];

/** Accepted under every rule set, as exactly these segments. */
const ALWAYS_ACCEPTED: [string, string][] = [
  ["plain", "notes.txt"],
  ["double-encoded stays literal", "%252e%252e"],
  ["other percent escapes stay literal", "100%25 done %41.txt"],
  ["dots inside a name", "a..b"],
  ["trailing dots", "x.."],
  ["one-dot leaders, not dots", "\u2024\u2024"],
  ["fullwidth solidus, not a slash", "a\uff0fb"],
  ["colon after the first two characters", "ab:c"],
  ["space", "my file.txt"],
  ["unicode", "文件 ünïcødé.bin"],
  ["255-byte segment", "x".repeat(MAX_SEGMENT_BYTES)],
  ["254 bytes of 2-byte chars", "é".repeat(127)],
];

Deno.test("resolveName refuses every attack under every rule set", async (t) => {
  for (const [what, name] of ALWAYS_REFUSED) {
    await t.step(what, () => {
      for (const [label, rules] of Object.entries(RULES)) {
        assert.throws(
          () => resolveName(name, rules),
          invalidName(),
          `${label}: ${JSON.stringify(name)}`,
        );
      }
    });
  }
});

Deno.test("resolveName accepts ordinary and literal-percent names unchanged", async (t) => {
  for (const [what, name] of ALWAYS_ACCEPTED) {
    await t.step(what, () => {
      for (const rules of Object.values(RULES)) {
        assert.deepEqual(resolveName(name, rules), [name]);
      }
    });
  }
  await t.step("default rules are flat and hide dot-files", () => {
    assert.deepEqual(resolveName("a"), ["a"]);
    assert.throws(() => resolveName("a/b"), NetkitError);
    assert.throws(() => resolveName(".env"), NetkitError);
  });
});

Deno.test("resolveName: subfolders only when subdirs is on", () => {
  for (const name of ["a/b", "a/b/c.txt", "x/%252e"]) {
    for (const rules of [FLAT, HIDDEN]) {
      assert.throws(() => resolveName(name, rules), invalidName("slash"));
    }
    for (const rules of [SUB, ALL]) {
      assert.deepEqual(resolveName(name, rules), name.split("/"));
    }
  }
});

Deno.test("resolveName: dot-files only when hidden is on", () => {
  for (const name of [".env", ".git", "...", ".hidden.txt"]) {
    for (const rules of [FLAT, SUB]) {
      assert.throws(() => resolveName(name, rules), invalidName("hidden"));
    }
    for (const rules of [HIDDEN, ALL]) {
      assert.deepEqual(resolveName(name, rules), [name]);
    }
  }
  for (const name of [".git/config", "a/.env", "a/.ssh/id_rsa"]) {
    assert.throws(() => resolveName(name, SUB), invalidName("hidden"));
    assert.deepEqual(resolveName(name, ALL), name.split("/"));
  }
});

Deno.test("resolveName: a whole path longer than 4096 bytes is refused", () => {
  const seg = "x".repeat(250);
  const ok = Array(16).fill(seg).join("/"); // 4015 bytes
  assert.equal(resolveName(ok, SUB).length, 16);
  const long = Array(17).fill(seg).join("/"); // 4266 bytes
  assert.throws(() => resolveName(long, SUB), invalidName("too long"));
});

Deno.test("acceptsName hides internal names always, dot-files unless hidden, and all the jail refuses", () => {
  const table: [string, boolean, boolean][] = [
    ["a.txt", true, true],
    [".env", false, true],
    [".netkit-tmp.h.1.ab", false, false],
    [".netkit-x", false, false],
    ["netkit-tmp", true, true],
    ["c:x.txt", false, false],
    ["a\\b.txt", false, false],
    ["%41%2e%2e.txt", false, false],
    ["a\nb.txt", false, false],
    ["a\x1b[31m.txt", false, false],
    ["x".repeat(256), false, false],
  ];
  for (const [name, plain, hidden] of table) {
    assert.deepEqual([acceptsName(name), acceptsName(name, { hidden: true })], [
      plain,
      hidden,
    ], name);
  }
});

Deno.test("joinInRoot joins with one slash whatever the root's ending", () => {
  assert.equal(joinInRoot("/srv/r", ["a", "b"]), "/srv/r/a/b");
  assert.equal(joinInRoot("/srv/r/", ["a"]), "/srv/r/a");
  assert.equal(joinInRoot("/", ["etc"]), "/etc");
  assert.equal(joinInRoot("/srv/r", []), "/srv/r");
  assert.equal(joinInRoot("C:\\lib\\", ["a"]), "C:\\lib/a");
});

Deno.test("isInside compares whole segments", async (t) => {
  const table: [string, string, boolean][] = [
    ["/srv/r", "/srv/r", true],
    ["/srv/r", "/srv/r/a", true],
    ["/srv/r", "/srv/r/a/b/c", true],
    ["/srv/r", "/srv/r/", true],
    ["/srv/r", "/srv/r2", false],
    ["/srv/r", "/srv/r2/a", false],
    ["/srv/r", "/srv/rx", false],
    ["/srv/r", "/srv/r.bak/a", false],
    ["/srv/r", "/srv", false],
    ["/srv/r", "/", false],
    ["/srv/r", "", false],
    ["/srv/r", "/SRV/R/a", false],
    ["/srv/r/", "/srv/r", true],
    ["/srv/r/", "/srv/r/a", true],
    ["/srv/r/", "/srv/r2", false],
    ["/srv/r//", "/srv/r/a", true],
    ["/", "/", true],
    ["/", "/etc/passwd", true],
    ["/", "relative", false],
    ["C:\\lib", "C:\\lib\\a", true],
    ["C:\\lib", "C:\\lib", true],
    ["C:\\lib", "C:\\lib2", false],
    ["C:\\lib\\", "C:\\lib\\a", true],
  ];
  for (const [root, candidate, inside] of table) {
    await t.step(
      `${root} contains ${JSON.stringify(candidate)}: ${inside}`,
      () => {
        assert.deepEqual(isInside(root, candidate), inside);
      },
    );
  }
});
