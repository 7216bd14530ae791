/**
 * Unit tests for the shared command-line parsing in `server/cli_args.ts`.
 */

import assert from "node:assert/strict";
import {
  parseDuration,
  parseFlags,
  parseHostPort,
  parseIntFlag,
  parsePort,
  parseSize,
  sizeText,
  UsageError,
} from "../core/cli/cli_args.ts";

/** Asserts that `fn` throws a UsageError whose message includes `part`; returns the error. */
function usage(fn: () => unknown, part = "", msg?: string): UsageError {
  let caught: UsageError | undefined;
  assert.throws(fn, (e: unknown) => {
    caught = e as UsageError;
    return e instanceof UsageError && e.message.includes(part);
  }, msg);
  return caught!;
}

Deno.test("sizeText: the largest exact binary unit, read back by parseSize", () => {
  const table: [number, string][] = [
    [0, "0"],
    [1000, "1000"],
    [1024, "1KiB"],
    [1536, "1536"],
    [1024 ** 2, "1MiB"],
    [64 * 1024 ** 3, "64GiB"],
    [3 * 1024 ** 4, "3TiB"],
  ];
  for (const [bytes, text] of table) {
    assert.equal(sizeText(bytes), text);
    assert.equal(parseSize(text, "--x"), bytes);
  }
});

Deno.test("parseSize: plain bytes, binary and decimal units, fractions", () => {
  const table: [string, number][] = [
    ["0", 0],
    ["1048576", 1048576],
    ["512b", 512],
    ["64K", 65536],
    ["64k", 65536],
    ["64KiB", 65536],
    ["64KB", 64000],
    ["10M", 10 * 2 ** 20],
    ["10MiB", 10 * 2 ** 20],
    ["10mb", 10_000_000],
    ["1.5G", 1.5 * 2 ** 30],
    ["2GB", 2e9],
    ["1T", 2 ** 40],
    ["1TB", 1e12],
    [" 10 M ", 10 * 2 ** 20],
    ["0.5", 0],
    ["1.9b", 1],
  ];
  for (const [text, want] of table) {
    assert.deepEqual(parseSize(text, "--max-upload"), want, text);
  }
});

Deno.test("parseSize: junk, negatives, unknown units and overflow are UsageErrors naming the flag", () => {
  for (
    const text of [
      "",
      " ",
      "M",
      "-1",
      "-1M",
      "1e3",
      ".5M",
      "0x10",
      "10X",
      "10 M B",
      "1,000",
      "Infinity",
      "NaN",
      "10constructor",
      "10__proto__",
      "10toString",
      "9007199254740993",
      "99999999T",
    ]
  ) {
    usage(() => parseSize(text, "--max-upload"), "--max-upload");
  }
});

Deno.test("parseDuration: units, plain seconds, fractions", () => {
  const table: [string, number][] = [
    ["30", 30_000],
    ["30s", 30_000],
    ["500ms", 500],
    ["1.5s", 1500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    [" 10 s ", 10_000],
    ["0", 0],
    ["24h", 86_400_000],
  ];
  for (const [text, want] of table) {
    assert.deepEqual(parseDuration(text, "--idle-timeout"), want, text);
  }
});

Deno.test("parseDuration: junk is a UsageError naming the flag", () => {
  for (
    const text of ["", "s", "-1s", "1d", "1.s", "1e3", "10 sec", "ms", "1h30m"]
  ) {
    usage(() => parseDuration(text, "--idle-timeout"), "--idle-timeout");
  }
});

Deno.test("parseDuration: durations a timer cannot hold are refused, not turned into 1 ms", () => {
  // setTimeout clamps delays above 2^31 - 1 ms to 1 ms: a '--idle-timeout 1000h'
  // would drop every connection at once.
  assert.equal(parseDuration(`${2 ** 31 - 1}ms`, "--t"), 2 ** 31 - 1);
  for (
    const text of [`${2 ** 31}ms`, "1000h", "99999999999999999999h", "30d"]
  ) {
    usage(() => parseDuration(text, "--idle-timeout"), "--idle-timeout", text);
  }
});

Deno.test("parseIntFlag and parsePort: whole numbers within bounds only", () => {
  assert.equal(parseIntFlag("10", "--max-conns", 1, 100), 10);
  assert.equal(parseIntFlag(" 7 ", "--max-conns", 1, 100), 7);
  assert.equal(parseIntFlag("007", "--max-conns", 1, 100), 7);
  for (const text of ["0", "101", "-1", "1.5", "1e2", "0x10", "", "ten", "٣"]) {
    usage(() => parseIntFlag(text, "--max-conns", 1, 100), "--max-conns");
  }
  assert.deepEqual([parsePort("0"), parsePort("7070"), parsePort("65535")], [
    0,
    7070,
    65535,
  ]);
  for (
    const text of ["65536", "-1", "80.0", "", "http", "99999999999999999999"]
  ) {
    usage(() => parsePort(text), "--port");
  }
  usage(() => parsePort("x", "--tftp-port"), "--tftp-port");
});

Deno.test("parseHostPort: names, IPv4, bracketed and bare IPv6", () => {
  const table: [string, string, number][] = [
    ["example.com", "example.com", 7070],
    ["example.com:8080", "example.com", 8080],
    ["127.0.0.1", "127.0.0.1", 7070],
    ["127.0.0.1:0", "127.0.0.1", 0],
    ["localhost:65535", "localhost", 65535],
    ["[::1]:7070", "::1", 7070],
    ["[::1]:9000", "::1", 9000],
    ["[::1]", "::1", 7070],
    ["::1", "::1", 7070],
    ["::", "::", 7070],
    ["2001:db8::1", "2001:db8::1", 7070],
    ["[2001:db8::1]:443", "2001:db8::1", 443],
    ["::ffff:127.0.0.1", "::ffff:127.0.0.1", 7070],
    ["fe80::1%eth0", "fe80::1%eth0", 7070],
    ["[fe80::1%eth0]:22", "fe80::1%eth0", 22],
  ];
  for (const [text, hostname, port] of table) {
    assert.deepEqual(parseHostPort(text, 7070), { hostname, port }, text);
  }
});

Deno.test("parseHostPort: malformed addresses are UsageErrors", () => {
  for (
    const text of [
      "",
      ":",
      ":7070",
      "host:",
      "host:abc",
      "host:70000",
      "host:-1",
      "[::1",
      "[::1]x",
      "[::1]:",
      "[::1]:7070:1",
      "[]:7070",
      "[]",
      "a b:7070",
      "host/x:1",
      " host",
      "host:80:90",
      "a:b:c",
      "[example.com]:80",
      "[127.0.0.1]",
      "1:2:3:4:5:6:7:8:9",
      "12345::1",
      "::g",
      ":::",
      "[::1%]",
    ]
  ) {
    usage(() => parseHostPort(text, 7070), undefined, text);
  }
});

Deno.test("parseFlags: strict flags, positionals, and UsageErrors naming the problem", () => {
  const spec = {
    port: { type: "string", short: "p" },
    quiet: { type: "boolean", short: "q" },
    root: { type: "string" },
  } as const;
  const got = parseFlags(
    ["-p", "8080", "--quiet", "pos", "--root=/srv", "--", "--not-a-flag"],
    spec,
    "serve-files",
  );
  assert.deepEqual({ ...got.values }, { port: "8080", quiet: true, root: "/srv" }); // parseArgs gives a null-prototype object
  assert.deepEqual(got.positionals, ["pos", "--not-a-flag"]);
  const table: [string[], string][] = [
    [["--nope"], "unknown option '--nope'"],
    [["-x"], "unknown option '-x'"],
    [["--port"], "argument missing"],
    [["-p"], "argument missing"],
    [["--quiet=yes"], "does not take an argument"],
    [["--port", "--quiet"], "ambiguous"],
  ];
  for (const [args, msg] of table) {
    const e = usage(() => parseFlags(args, spec, "serve-files"), msg);
    assert.equal(e.command, "serve-files");
    assert.ok(!e.message.includes("\n"), `one line: ${JSON.stringify(e.message)}`);
  }
});

Deno.test("parseFlags: a negative number is the value of the flag before it", () => {
  const spec = {
    port: { type: "string", short: "p" },
    quiet: { type: "boolean", short: "q" },
  } as const;
  const got = parseFlags(["--port", "-1", "-p", "-2.5", "--", "-3"], spec, "http");
  assert.equal(got.values.port, "-2.5");
  assert.deepEqual(got.positionals, ["-3"]);
  assert.equal(parseFlags(["--port", "-1"], spec, "http").values.port, "-1");
  // Only numbers: a flag before another flag still needs its value.
  usage(() => parseFlags(["--port", "-q"], spec, "http"), "ambiguous");
  // A boolean flag takes no value, negative or not.
  usage(() => parseFlags(["--quiet", "-1"], spec, "http"), "unknown option '-1'");
  usage(() => parsePort(parseFlags(["--port", "-1"], spec, "http").values.port!), "got '-1'");
});

Deno.test("parseSize and parseDuration: bounds are checked in the flag's own units", () => {
  assert.equal(parseSize("64K", "--max-frame", { min: 65536, max: 64 << 20 }), 65536);
  assert.equal(
    usage(() => parseSize("1k", "--max-frame", { min: 65536, max: 64 << 20 })).message,
    "--max-frame: expected from 64K to 64M, got '1k'",
  );
  assert.equal(
    usage(() => parseSize("1000", "--x", { max: 999 })).message,
    "--x: expected at most 999 bytes, got '1000'",
  );
  assert.equal(parseDuration("100ms", "--idle-timeout", { min: 100 }), 100);
  assert.equal(
    usage(() => parseDuration("0.05", "--idle-timeout", { min: 100 })).message,
    "--idle-timeout: expected at least 100ms, got '0.05'",
  );
  assert.equal(
    usage(() => parseDuration("2m", "--t", { min: 1000, max: 60_000 })).message,
    "--t: expected from 1s to 60s, got '2m'",
  );
});
