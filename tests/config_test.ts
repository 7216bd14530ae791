// The config file: the JSONC parser with adversarial input, the section and
// key checks, and the merge of command line, environment, file and defaults.
import assert from "node:assert/strict";
import { JsoncError, parseJsonc } from "../core/cli/jsonc.ts";
import { type ConfigFlag, readConfig } from "../core/cli/config.ts";
import { UsageError } from "../core/cli/cli_args.ts";
import { parseIntFlag } from "../core/cli/cli_args.ts";
import { defineCommand, parseCommand } from "../core/cli/command_line.ts";
import { formatSettings } from "../core/cli/print_config.ts";
import { tempDir } from "./file_helpers.ts";

const at = (text: string) => {
  try {
    parseJsonc(text);
  } catch (e) {
    assert.ok(e instanceof JsoncError, String(e));
    return e.message;
  }
  assert.fail(`parsed: ${text}`);
};

Deno.test("jsonc: comments, trailing commas and a BOM are JSONC; the values are JSON's", () => {
  const { value } = parseJsonc(`\ufeff// a line comment
  {
    /* a block
       comment */ "a": [1, -2.5e3, true, false, null, "x\\n\\u00e9\\"",],
    "b": { "c": "//not a comment", }, // trailing
  }`);
  assert.deepEqual(JSON.parse(JSON.stringify(value)), {
    a: [1, -2500, true, false, null, 'x\né"'],
    b: { c: "//not a comment" },
  });
  assert.equal(parseJsonc("  7 ").value, 7);
});

Deno.test("jsonc: a key twice is an error naming both lines; __proto__ is data", () => {
  assert.equal(
    at('{\n  "port": 1,\n  "port": 2\n}'),
    '3:3: duplicate key "port" (first at line 2)',
  );
  assert.match(at('{"a": {"x": 1, "x": 1}}'), /duplicate key "x"/);
  const { value } = parseJsonc('{"__proto__": {"polluted": true}, "constructor": 1}');
  const o = value as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(o), null);
  assert.deepEqual(Object.keys(o), ["__proto__", "constructor"]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("jsonc: what JSON does not allow stays refused, with the line and column", () => {
  const table: [string, RegExp][] = [
    ["{'a': 1}", /^1:2: expected a key in double quotes/],
    ["{a: 1}", /^1:2: expected a key/],
    ['{"a": 0x10}', /^1:8: expected ','/],
    ['{"a": 01}', /expected ','/],
    ['{"a": NaN}', /unexpected "N"/],
    ['{"a": Infinity}', /unexpected "I"/],
    ['{"a": +1}', /unexpected "\+"/],
    ['{"a": 1e999}', /number out of range/],
    ['{"a": "x\ty"}', /control character/],
    ['{"a": "\\x41"}', /bad escape/],
    ['{"a": "\\u12"}', /bad \\u escape/],
    ['{"a": "open', /^1:7: unterminated string/],
    ["{/* open", /unterminated comment/],
    ['{"a": 1,,}', /expected a key/],
    ["[,]", /unexpected ","/],
    ['{"a" 1}', /expected ':'/],
    ['{"a": 1} {"b": 2}', /after the value/],
    ["", /unexpected the end/],
    ["{", /expected a key in double quotes, found the end/],
    ['{"a": tru}', /unexpected "t"/],
    ['{"a": trueish}', /unexpected "t"/],
    ["\n\n  @", /^3:3: unexpected "@"/],
  ];
  for (const [text, want] of table) assert.match(at(text), want, text);
});

Deno.test("jsonc: hostile nesting is refused, not a stack overflow; positions hold in a long file", () => {
  assert.match(at("[".repeat(100_000)), /nested deeper than 64/);
  assert.match(at('{"a":'.repeat(100) + "1" + "}".repeat(100)), /nested deeper/);
  const keys = Array.from({ length: 5_000 }, (_, i) => `"k${i}": ${i}`).join(",\n");
  assert.equal(Object.keys(parseJsonc(`{${keys}}`).value as object).length, 5_000);
  assert.match(
    at(`{${keys},\n"k4999": 0}`),
    /^5001:1: duplicate key "k4999" \(first at line 5000\)/,
  );
});

const SECTIONS = new Map<string, Record<string, ConfigFlag>>([
  ["srv", {
    port: { type: "string" },
    "read-only": { type: "boolean" },
    root: { type: "string", path: true },
    config: { type: "string", cliOnly: true },
  }],
  ["other", { x: { type: "string" } }],
]);

const configError = (text: string) => {
  try {
    readConfig(text, "/etc/nk.jsonc", SECTIONS);
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    assert.ok(!e.message.includes("\n"), e.message);
    return e.message;
  }
  assert.fail(`accepted: ${text}`);
};

Deno.test("config: unknown sections and keys, wrong types: the file, the line, the key", () => {
  const table: [string, string][] = [
    [
      '{\n  "srvv": {}\n}',
      '/etc/nk.jsonc:2:3: unknown section "srvv" (did you mean "srv"?) (sections: other, srv)',
    ],
    [
      '{"srv": {"prot": 1}}',
      '/etc/nk.jsonc:1:10: "srv"."prot": unknown key (did you mean "port"?)',
    ],
    ['{"srv": {"zzzzzz": 1}}', '/etc/nk.jsonc:1:10: "srv"."zzzzzz": unknown key'],
    ['{"srv": {"config": "x"}}', '/etc/nk.jsonc:1:10: "srv"."config": only on the command line'],
    [
      '{"srv": {"read-only": "yes"}}',
      '/etc/nk.jsonc:1:10: "srv"."read-only": expected true or false, got the string "yes"',
    ],
    ['{"srv": {"read-only": 1}}', '"srv"."read-only": expected true or false, got 1'],
    ['{"srv": {"port": [7070]}}', '"srv"."port": expected a string or a number, got a list'],
    ['{"srv": {"port": {"n": 1}}}', '"srv"."port": expected a string or a number, got an object'],
    ['{"srv": {"port": true}}', '"srv"."port": expected a string or a number, got true'],
    ['{"srv": []}', '/etc/nk.jsonc:1:2: "srv": expected an object of settings, got a list'],
    ['{"srv": null}', '"srv": expected an object of settings, got null'],
    ["[]", "/etc/nk.jsonc: expected an object of sections"],
    ['{"srv": {"port": 1, "port": 2}}', '/etc/nk.jsonc:1:21: duplicate key "port"'],
    ['{"srv": {"__proto__": 1}}', '"srv"."__proto__": unknown key'],
    ['{"srv": {"toString": 1}}', '"srv"."toString": unknown key'],
  ];
  for (const [text, want] of table) {
    const got = configError(text);
    assert.ok(got.includes(want), `${text}\n got: ${got}\nwant: ${want}`);
  }
});

Deno.test("config: numbers become flag text, null leaves a key unset, paths are from the file's folder", () => {
  const sections = readConfig(
    '{"srv": {"port": 7070, "read-only": false, "root": "lib/../files"}, "other": {"x": 1.5}}',
    "/etc/netkit/nk.jsonc",
    SECTIONS,
  );
  const srv = sections.get("srv")!;
  assert.equal(srv.get("port")!.value, "7070");
  assert.equal(srv.get("read-only")!.value, false);
  assert.equal(srv.get("root")!.value, "/etc/netkit/files");
  assert.equal(sections.get("other")!.get("x")!.value, "1.5");
  const unset = readConfig('{"srv": {"port": null, "root": "/abs"}}', "nk.jsonc", SECTIONS).get(
    "srv",
  )!;
  assert.equal(unset.has("port"), false);
  assert.equal(unset.get("root")!.value, "/abs");
});

// A command of this test file only, with a default, an env variable and a secret.
const TEST = defineCommand("testcmd", "testcmd", {
  port: { type: "string", default: "7070" },
  workers: { type: "string" },
  token: { type: "string", secret: true, env: "NETKIT_CONFIG_TEST_TOKEN" },
  "read-only": { type: "boolean", default: false },
  root: { type: "string", path: true },
});

Deno.test("config: command line, then environment, then file, then default", async () => {
  await using dir = await tempDir();
  const file = dir.join("nk.jsonc");
  await Deno.writeTextFile(
    file,
    `{ // every key of testcmd set in the file
      "testcmd": { "port": 1, "workers": 2, "token": "from-file", "read-only": true, "root": "lib" },
    }`,
  );
  await Deno.chmod(file, 0o600);
  Deno.env.delete("NETKIT_CONFIG_TEST_TOKEN");
  let s = parseCommand(["--config", file], TEST);
  assert.deepEqual({ ...s.values, config: undefined }, {
    config: undefined,
    port: "1",
    workers: "2",
    token: "from-file",
    "read-only": true,
    root: dir.join("lib"),
  });
  assert.deepEqual(s.sources.port, { kind: "file", file, line: 2, column: 20 });

  Deno.env.set("NETKIT_CONFIG_TEST_TOKEN", "from-env");
  try {
    s = parseCommand(["--config", file, "--port", "3", "--no-read-only"], TEST);
    assert.equal(s.values.port, "3");
    assert.equal(s.values.workers, "2");
    assert.equal(s.values.token, "from-env");
    assert.equal(s.values["read-only"], false);
    assert.deepEqual(s.sources.token, { kind: "environment", name: "NETKIT_CONFIG_TEST_TOKEN" });
    s = parseCommand(["--token", "typed"], TEST);
    assert.equal(s.values.token, "typed");
  } finally {
    Deno.env.delete("NETKIT_CONFIG_TEST_TOKEN");
  }
  s = parseCommand([], TEST);
  assert.equal(s.values.port, "7070");
  assert.deepEqual(s.sources.port, { kind: "default" });
  assert.equal(s.values.workers, undefined);
  assert.equal(s.values.root, undefined);
  // --no-FLAG exists only for booleans, and stops at "--".
  assert.throws(() => parseCommand(["--no-port"], TEST), /unknown option '--no-port'/);
  assert.deepEqual(parseCommand(["--", "--no-read-only"], TEST).positionals, ["--no-read-only"]);
});

Deno.test("config: a bad value from the file names the file, line and key; from the env, the variable", async () => {
  await using dir = await tempDir();
  const file = dir.join("nk.jsonc");
  await Deno.writeTextFile(file, '{\n  "testcmd": {\n    "workers": 0\n  }\n}\n');
  const s = parseCommand(["--config", file], TEST);
  const check = (settings: typeof s) =>
    settings.explain(() => parseIntFlag(settings.values.workers ?? "1", "--workers", 1, 8));
  assert.throws(() => check(s), (e) => {
    assert.ok(e instanceof UsageError);
    assert.equal(
      e.message,
      `${file}:3:5: "testcmd"."workers": expected a whole number from 1 to 8, got '0'`,
    );
    return true;
  });
  assert.throws(() => check(parseCommand(["--config", file, "--workers", "9"], TEST)), {
    message: "--workers: expected a whole number from 1 to 8, got '9'",
  });
  await assert.rejects(
    () => s.explain(() => Promise.reject(new UsageError("--workers: async check"))),
    { message: `${file}:3:5: "testcmd"."workers": async check` },
  );
  Deno.env.set("NETKIT_CONFIG_TEST_TOKEN", "x");
  try {
    const e = parseCommand([], TEST);
    assert.throws(() =>
      e.explain(() => {
        throw new UsageError("--token: too short");
      }), { message: "NETKIT_CONFIG_TEST_TOKEN: too short" });
  } finally {
    Deno.env.delete("NETKIT_CONFIG_TEST_TOKEN");
  }
});

Deno.test("config: an unreadable, missing or oversized file is a one-line usage error", async () => {
  await using dir = await tempDir();
  assert.throws(
    () => parseCommand(["--config", dir.join("nope.jsonc")], TEST),
    (e) => e instanceof UsageError && /^--config: cannot read .*nope\.jsonc: /.test(e.message),
  );
  assert.throws(() => parseCommand(["--config", dir.path], TEST), /not a file/);
  await Deno.writeTextFile(dir.join("big.jsonc"), `{"testcmd": {}} ${" ".repeat(1024 * 1024)}`);
  assert.throws(() => parseCommand(["--config", dir.join("big.jsonc")], TEST), /larger than/);
  await Deno.writeTextFile(dir.join("bad.jsonc"), '{"testcmd": {"port": 1,}');
  assert.throws(() => parseCommand(["--config", dir.join("bad.jsonc")], TEST), {
    message: `${dir.join("bad.jsonc")}:1:25: expected ',' or '}', found the end`,
  });
});

Deno.test("config: --print-config shows every key, where it came from, and masks secrets", async () => {
  await using dir = await tempDir();
  const file = dir.join("nk.jsonc");
  await Deno.writeTextFile(file, '{"testcmd": {"token": "s3cret-token", "workers": "4"}}');
  await Deno.chmod(file, 0o600);
  const text = formatSettings(parseCommand(["--config", file, "--port", "9"], TEST));
  assert.ok(!text.includes("s3cret"), text);
  const parsed = parseJsonc(text).value as Record<string, Record<string, unknown>>;
  assert.deepEqual({ ...parsed.testcmd }, {
    port: "9",
    workers: "4",
    token: "********",
    "read-only": false,
  });
  assert.match(text, /"port": "9", \/\/ command line/);
  assert.match(text, new RegExp(`"workers": "4", // ${file}:1`));
  assert.match(text, /"read-only": false, \/\/ default/);
  assert.match(text, /\/\/ "root": not set/);
});
