import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { PERMISSIONS, UNSTABLE, V8_FLAGS } from "../scripts/compile.ts";
import { runNetkit } from "./cli_helpers.ts";

const SMOKE = fileURLToPath(new URL("../scripts/smoke.sh", import.meta.url));
const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

Deno.test({
  name: "release: scripts/smoke.sh passes against main.ts run with exactly the compiled " +
    "binary's permissions (skipped on Windows: the script needs bash and mkfifo)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    // The release workflow runs this script against the real linux binary;
    // here `deno run` with the flags compile bakes in stands in for it, so
    // both the script's logic and the narrow permission set are exercised.
    const out = await new Deno.Command("bash", {
      args: [
        SMOKE,
        Deno.execPath(),
        "run",
        "--no-prompt",
        ...UNSTABLE,
        ...V8_FLAGS,
        ...PERMISSIONS,
        MAIN,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    const stdout = dec.decode(out.stdout);
    assert.ok(out.success, `${stdout}\n${dec.decode(out.stderr)}`);
    assert.match(stdout, /^smoke: version: netkit \d+\.\d+\.\d+/m);
    assert.match(stdout, /^smoke: serve-files: put, ls and get round trip .* ok/m);
    const hasHttp = /^ +http +/m.test((await runNetkit(["--help"])).stdout);
    assert.match(stdout, hasHttp ? /^smoke: http: GET \/.* answered curl/m : /http: SKIPPED/);
    assert.match(stdout, /^smoke: all passed$/m);
  },
});

Deno.test({
  name: "release: scripts/smoke.sh fails, naming the step, when the program is not netkit " +
    "(skipped on Windows: the script needs bash)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const out = await new Deno.Command("bash", {
      args: [SMOKE, Deno.execPath(), "eval", "console.log('not netkit')"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 1);
    assert.match(
      new TextDecoder().decode(out.stderr),
      /smoke: FAIL: --version printed 'not netkit'/,
    );
  },
});
