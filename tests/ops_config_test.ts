// The config file through the real program: the example in docs/ covers
// every flag of every command (derived from the commands' own tables, so a
// flag added later without a key fails here), precedence, --print-config,
// and every error path as one line with exit code 2.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import "../main.ts"; // declares every command
import { declaredCommands, type FlagTable } from "../core/cli/command_line.ts";
import { readConfig } from "../core/cli/config.ts";
import { parseJsonc } from "../core/cli/jsonc.ts";
import { runNetkit } from "./cli_helpers.ts";
import { tempDir } from "./file_helpers.ts";

const EXAMPLE = fileURLToPath(new URL("../docs/netkit.jsonc", import.meta.url));

/** How to run each section's command with the example file. */
const RUNS: Record<string, string[]> = {
  "serve-files": ["serve-files"],
  client: ["client"],
  http: ["http"],
  tftp: ["tftp", "serve"],
  "tftp-client": ["tftp", "get", "127.0.0.1", "f"],
};

Deno.test("config example: docs/netkit.jsonc has a key for every flag of every command, and no other", () => {
  const commands = declaredCommands();
  assert.deepEqual(commands.map((c) => c.section).sort(), Object.keys(RUNS).sort());
  const text = Deno.readTextFileSync(EXAMPLE);
  // The loader's own checks: known sections and keys, right types.
  readConfig(text, EXAMPLE, new Map(commands.map((c) => [c.section, c.flags])));
  const doc = parseJsonc(text).value as Record<string, Record<string, unknown>>;
  for (const c of commands) {
    const settable = Object.entries(c.flags).filter(([, f]) => !f.cliOnly).map(([k]) => k);
    const keys = Object.keys(doc[c.section] ?? {});
    const missing = settable.filter((k) => !keys.includes(k));
    assert.deepEqual(missing, [], `docs/netkit.jsonc lacks "${c.section}" keys`);
    // Every key with a default shows that default.
    for (const [k, f] of Object.entries(c.flags as FlagTable)) {
      if (f.default === undefined || f.path) continue; // paths show a real place instead
      const v = doc[c.section][k];
      const shown = typeof f.default === "boolean" ? v : String(v);
      assert.equal(shown, f.default, `"${c.section}"."${k}" should show its default`);
    }
  }
});

Deno.test("every flag of every command's table is in its --help", async () => {
  for (const c of declaredCommands()) {
    const r = await runNetkit([...RUNS[c.section].slice(0, 1), "--help"]);
    assert.equal(r.code, 0);
    const missing = Object.keys(c.flags).filter((k) => !r.stdout.includes(`--${k}`));
    assert.deepEqual(missing, [], `netkit ${c.name} --help lacks flags`);
  }
});

Deno.test("config example: every command accepts it and --print-config shows its values", async () => {
  for (const [section, run] of Object.entries(RUNS)) {
    const r = await runNetkit([...run, "--config", EXAMPLE, "--print-config"]);
    assert.equal(r.code, 0, `${section}: ${r.stderr}`);
    const printed = parseJsonc(r.stdout).value as Record<string, Record<string, unknown>>;
    const example = parseJsonc(Deno.readTextFileSync(EXAMPLE)).value as Record<
      string,
      Record<string, unknown>
    >;
    for (const [k, v] of Object.entries(example[section])) {
      if (v === null) assert.ok(!(k in printed[section]) || k === "token", `${section}.${k}`);
      else {assert.equal(
          printed[section][k],
          typeof v === "boolean" ? v : String(v),
          `${section}.${k}`,
        );}
    }
  }
});

Deno.test("config: command line over environment over file over default, secrets masked", async () => {
  await using dir = await tempDir();
  const file = dir.join("nk.jsonc");
  await Deno.writeTextFile(
    file,
    `{
      // serve-files only
      "serve-files": { "port": 1234, "token": "file-secret", "max-upload": "1G", "root": "lib" },
    }`,
  );
  await Deno.chmod(file, 0o600);
  const r = await runNetkit(["serve-files", "--config", file, "--port", "4321", "--print-config"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.match(r.stdout, /"port": "4321", \/\/ command line/);
  assert.match(r.stdout, new RegExp(`"max-upload": "1G", // ${file}:3`));
  assert.match(r.stdout, /"token": "\*\*\*\*\*\*\*\*", \/\/ .*nk\.jsonc:3/);
  assert.match(r.stdout, new RegExp(`"root": "${dir.join("lib")}"`));
  assert.match(r.stdout, /"idle-timeout": "30s", \/\/ default/);
  assert.ok(!r.stdout.includes("file-secret"));
  // The directory the root names does not exist: print-config creates nothing.
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), ["nk.jsonc"]);
});

Deno.test("config: a secret in a file others can read draws a warning", async () => {
  await using dir = await tempDir();
  const file = dir.join("nk.jsonc");
  await Deno.writeTextFile(file, '{"http": {"root": ".", "auth": "alice:pw"}}');
  await Deno.chmod(file, 0o644);
  const r = await runNetkit(["http", "--config", file, "--print-config"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: .*nk\.jsonc holds "auth" and any user can read it \(mode 644\)/);
  assert.ok(!r.stdout.includes("alice:pw") && !r.stderr.includes('pw"'));
});

Deno.test("config: every error path is one line naming the file, line and key, with exit 2", async () => {
  await using dir = await tempDir();
  let n = 0;
  const cases: [string[], string | null, RegExp][] = [
    [
      ["http"],
      '{"http": {"prot": 1}}',
      /:1:11: "http"\."prot": unknown key \(did you mean "port"\?\)/,
    ],
    [["http"], '{"htp": {}}', /:1:2: unknown section "htp" \(did you mean "http"\?\)/],
    [
      ["http"],
      '{"http": {"cors": "yes"}}',
      /"http"\."cors": expected true or false, got the string "yes"/,
    ],
    [
      ["http"],
      '{"http": {"port": [1]}}',
      /"http"\."port": expected a string or a number, got a list/,
    ],
    [
      ["http", "--root", "."],
      '{"http": {\n  "port": 70000\n}}',
      /:2:3: "http"\."port": expected a whole number from 0 to 65535, got '70000'/,
    ],
    [
      ["serve-files"],
      '{"serve-files": {"idle-timeout": "soon"}}',
      /"serve-files"\."idle-timeout": not a duration: 'soon'/,
    ],
    [
      ["serve-files"],
      '{"serve-files": {"model": "fork"}}',
      /"serve-files"\."model": expected async, loop or workers/,
    ],
    [
      ["tftp", "serve", "--root", "."],
      '{"tftp": {"max-blksize": 1}}',
      /"tftp"\."max-blksize": expected a whole number from 512/,
    ],
    [
      ["tftp", "serve", "--root", "."],
      '{"tftp": {"admin": "nowhere"}}',
      /"tftp"\."admin": expected PORT, HOST:PORT or off, got 'nowhere'/,
    ],
    [
      ["http", "--root", "."],
      '{"http": {"log-format": "xml"}}',
      /"http"\."log-format": expected clf or json, got 'xml'/,
    ],
    [["client"], '{"client": {"timeout": "x"}}', /"client"\."timeout": not a duration/],
    [
      ["http"],
      '{"http": {"port": 1, "port": 2}}',
      /:1:22: duplicate key "port" \(first at line 1\)/,
    ],
    [["http"], '{"http": {"port": 1,}', /:1:22: expected ',' or '}', found the end/],
    [["http"], '{"http": {"config": "x"}}', /"http"\."config": only on the command line/],
    [["http"], null, /^netkit: --config: cannot read .*missing\.jsonc: /],
  ];
  for (const [args, text, want] of cases) {
    const file = dir.join(text === null ? "missing.jsonc" : `c${n++}.jsonc`);
    if (text !== null) await Deno.writeTextFile(file, text);
    const r = await runNetkit([...args, "--config", file]);
    assert.equal(r.code, 2, `${text}: ${r.stderr}`);
    const [line, hint] = r.stderr.split("\n");
    assert.match(line, want, text ?? "missing");
    if (text !== null) assert.ok(line.startsWith(`netkit: ${file}:`), line);
    assert.match(hint, /^Try 'netkit (http|serve-files|tftp|client) --help'\.$/);
  }
});

Deno.test("cli: ops flags that do not fit are usage errors", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["http", "--root", ".", "--socket", "/tmp/x.sock", "--workers", "2"],
      /--socket serves from one isolate/,
    ],
    [
      ["http", "--root", ".", "--socket", "/tmp/x.sock", "--port", "80"],
      /--socket replaces --host and --port/,
    ],
    [["http", "--root", ".", "--socket-mode", "660"], /--socket-mode goes with --socket/],
    [
      ["http", "--root", ".", "--socket", "/tmp/x.sock", "--socket-mode", "999"],
      /--socket-mode: expected an octal mode/,
    ],
    [["serve-files", "--admin", "127.0.0.1"], /--admin: expected PORT, HOST:PORT or off/],
    [["serve-files", "--log-format", "xml"], /--log-format: expected clf or json, got 'xml'/],
    [["serve-files", "--no-port"], /unknown option '--no-port'/],
  ];
  for (const [args, want] of cases) {
    const r = await runNetkit([...args, "--print-config"]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, want);
  }
});
