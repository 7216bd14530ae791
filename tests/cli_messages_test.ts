// What the three servers say when they cannot start: one line that names
// the flag, the host, the port or the files at fault, never an internal
// option name or a bare OS error (issue 17, item 13).

import assert from "node:assert/strict";
import { netkitArgs, type RunResult, withoutCaps } from "./cli_helpers.ts";
import { tempDir } from "./temp_dir.ts";
import { makeCert } from "./tls_helpers.ts";

/** The three servers, each given `root` and port 0 unless the arguments say otherwise. */
function servers(root: string, extra: string[]): string[][] {
  return [
    ["serve-files", "--root", root, ...extra],
    ["http", "--root", root, ...extra],
    ["tftp", "serve", "--root", root, ...extra],
  ];
}

/**
 * Starts a server that should refuse to start: resolves to its exit code and
 * stderr, or, when it starts serving after all (it says so on stdout or
 * stderr), stops it and says so.
 */
async function startRefused(args: string[], dropCaps?: string[]): Promise<RunResult> {
  const prefix = dropCaps ? withoutCaps(dropCaps) : [];
  if (prefix === null) throw new Error("cannot drop capabilities here (no setpriv)");
  const [command, ...before] = [...prefix, Deno.execPath()];
  const child = new Deno.Command(command, {
    args: [...before, ...netkitArgs(args)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let started = false;
  const read = async (stream: ReadableStream<Uint8Array>) => {
    let text = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (!started && / serving /.test(text)) {
        started = true;
        child.kill("SIGKILL");
      }
    }
    return text;
  };
  const [stdout, stderr] = await Promise.all([read(child.stdout), read(child.stderr)]);
  const { code } = await child.status;
  return { code, stdout, stderr: started ? `started: ${stdout}${stderr}` : stderr };
}

/** Runs each command; asserts exit `code` and one line on stderr matching `pattern`. */
async function expectFailure(
  commands: string[][],
  code: number,
  pattern: RegExp,
  dropCaps?: string[],
): Promise<void> {
  const results = await Promise.all(commands.map((c) => startRefused(c, dropCaps)));
  results.forEach((r, i) => {
    const what = commands[i].join(" ");
    assert.equal(r.code, code, `${what}: ${r.stderr}`);
    assert.match(r.stderr.split("\n")[0], pattern, what);
    assert.doesNotMatch(r.stderr, /os error|idleTimeoutMs|maxFrame|acceptQueues/, what);
  });
}

Deno.test("cli messages: a negative number is a flag's value, judged by the flag", async () => {
  await using dir = await tempDir();
  await expectFailure(
    servers(dir.path, ["--port", "-1"]),
    2,
    /^netkit: --port: expected a whole number from 0 to 65535, got '-1'$/,
  );
});

Deno.test("cli messages: out-of-range values name the flag, not the option inside", async () => {
  await using dir = await tempDir();
  const root = ["serve-files", "--root", dir.path, "--port", "0"];
  await expectFailure(
    [[...root, "--idle-timeout", "50ms"]],
    2,
    /^netkit: --idle-timeout: expected at least 100ms, got '50ms'$/,
  );
  await expectFailure(
    [[...root, "--max-frame", "1k"], [...root, "--max-frame", "1G"]],
    2,
    /^netkit: --max-frame: expected from 64K to 64M, got '1[kG]'$/,
  );
  await expectFailure(
    [[...root, "--model", "loop", "--accept-queues", "2"]],
    2,
    /^netkit: --accept-queues goes with --model async or workers$/,
  );
});

Deno.test("cli messages: an unknown host or an address not on this machine is named", async () => {
  await using dir = await tempDir();
  await expectFailure(
    servers(dir.path, ["--host", "no-such-host.invalid", "--port", "0"]),
    1,
    /^netkit: cannot listen on (udp )?no-such-host\.invalid:0: 'no-such-host\.invalid' is neither an address nor a known host$/,
  );
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
  await expectFailure(
    servers(dir.path, ["--host", "192.0.2.1", "--port", "0"]),
    1,
    /^netkit: cannot listen on (udp )?192\.0\.2\.1:0: 192\.0\.2\.1 is not an address of this machine$/,
  );
});

const unprivilegedStart = (() => {
  try {
    return Number(Deno.readTextFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start"));
  } catch {
    return 1024;
  }
})();
const canDropCaps = Deno.build.os === "linux" && withoutCaps([]) !== null;

Deno.test({
  name: `cli messages: a privileged port says so and names the port${
    canDropCaps && unprivilegedStart > 80 ? "" : " (skipped: ports below 1024 are open to all here)"
  }`,
  ignore: !canDropCaps || unprivilegedStart <= 80,
  async fn() {
    await using dir = await tempDir();
    await expectFailure(
      servers(dir.path, ["--port", "80"]),
      1,
      /^netkit: cannot listen on (udp )?127\.0\.0\.1:80: port 80 is privileged \(below \d+\); run as root, grant CAP_NET_BIND_SERVICE, or use a port from \d+ up$/,
      ["net_bind_service"],
    );
  },
});

Deno.test({
  name: `cli messages: an unreadable root is refused at start, the same way by every server${
    canDropCaps ? "" : " (skipped: needs Linux, and setpriv when root)"
  }`,
  ignore: !canDropCaps,
  async fn() {
    await using dir = await tempDir();
    const root = dir.join("locked");
    await Deno.mkdir(root);
    await Deno.chmod(root, 0o000);
    try {
      await expectFailure(
        [
          ...servers(root, ["--port", "0"]),
          ["tftp", "serve", "--root", root, "--port", "0", "--allow-write"],
          ["serve-files", "--root", root, "--port", "0", "--model", "workers", "--workers", "1"],
        ],
        1,
        new RegExp(`^netkit: root is not readable: ${root} \\(permission denied\\)$`),
        ["dac_override", "dac_read_search"],
      );
    } finally {
      await Deno.chmod(root, 0o755);
    }
  },
});

Deno.test("cli messages: a certificate and a key that do not match name both files", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(dir.join("one"));
  await Deno.mkdir(dir.join("two"));
  const one = await makeCert(dir.join("one"));
  const two = await makeCert(dir.join("two"));
  const tls = (cert: string, key: string) => [
    ["serve-files", "--root", dir.path, "--port", "0", "--cert", cert, "--key", key],
    ["http", "--root", dir.path, "--port", "0", "--cert", cert, "--key", key],
  ];
  await expectFailure(
    tls(one.certPath, two.keyPath),
    1,
    new RegExp(
      `^netkit: --cert ${one.certPath} and --key ${two.keyPath} do not match: ` +
        `the key is not the certificate's$`,
    ),
  );
  await expectFailure(
    tls(one.keyPath, one.keyPath),
    1,
    new RegExp(`^netkit: --cert ${one.keyPath}: no usable certificate in it`),
  );
});

Deno.test("cli messages: --auth with an empty password is refused", async () => {
  await using dir = await tempDir();
  await expectFailure(
    [["http", "--root", dir.path, "--upload", "--auth", "alice:"]],
    2,
    /^netkit: --auth: expected USER:PASSWORD \(neither empty\)$/,
  );
});
