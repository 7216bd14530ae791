// `netkit tftp`: argument checking and client behaviour through the CLI
// module, and the real program spawned end to end.
import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { main } from "../tftp/cli.ts";
import { UsageError } from "../core/cli/cli_args.ts";
import { isNetkitError } from "../core/errors.ts";
import { listNames, pseudoRandomBytes, startServer, tempDir } from "./tftp_helpers.ts";

Deno.test("tftp cli: bad arguments are usage errors naming the problem", async () => {
  const cases: [string[], RegExp][] = [
    [[], /serve, get or put/],
    [["fetch"], /unknown tftp command 'fetch'/],
    [["serve"], /--root/],
    [["serve", "--root", ".", "--port", "70000"], /--port/],
    [["serve", "--root", ".", "--bogus"], /unknown option '--bogus'/],
    [["get", "127.0.0.1"], /get needs HOST\[:PORT\] FILE/],
    [["get", "127.0.0.1", "f", "--blksize", "7"], /--blksize.*8 to 65464/],
    [["get", "127.0.0.1", "f", "--blksize", "65465"], /--blksize/],
    [["get", "127.0.0.1", "f", "--blksize", "abc"], /--blksize/],
    [["get", "127.0.0.1", "f", "--windowsize", "0"], /--windowsize/],
    [["put", "127.0.0.1:x", "f"], /port/],
    [["get", "127.0.0.1", "f", "--timeout", "soon"], /--timeout/],
  ];
  for (const [args, re] of cases) {
    await assert.rejects(
      main(args),
      (e) => e instanceof UsageError && re.test(e.message),
      args.join(" "),
    );
  }
});

Deno.test("tftp cli: get writes DEST only when the whole file arrived", async () => {
  await using root = await tempDir();
  await using local = await tempDir();
  const data = pseudoRandomBytes(70_000, 3);
  await Deno.writeFile(`${root.path}/f.bin`, data);
  await using server = await startServer(root.path);
  const host = `127.0.0.1:${server.addr.port}`;
  const dest = `${local.path}/copy.bin`;
  assert.equal(
    await main(["get", host, "f.bin", dest, "-q", "--blksize", "1428"]),
    0,
  );
  assertSameBytes(await Deno.readFile(dest), data);
  await assert.rejects(
    main(["get", host, "nope.bin", `${local.path}/nope.bin`, "-q"]),
    (e) =>
      isNetkitError(e, "NOT_FOUND") &&
      /^tftp get nope\.bin: peer error 1: /.test(e.message) &&
      !e.message.includes("\n"),
  );
  await assert.rejects(
    main(["get", host, "f.bin", `${local.path}/no/such.bin`, "-q"]),
    (e) => isNetkitError(e, "NOT_FOUND") && /no folder/.test(e.message),
  );
  assert.deepEqual(await listNames(local.path), ["copy.bin"]);
});

Deno.test("tftp cli: put uploads a local file; a missing one is a one-line error", async () => {
  await using root = await tempDir();
  await using local = await tempDir();
  const data = pseudoRandomBytes(5000, 4);
  await Deno.writeFile(`${local.path}/up.bin`, data);
  await using server = await startServer(root.path, { allowWrite: true });
  const host = `127.0.0.1:${server.addr.port}`;
  assert.equal(
    await main([
      "put",
      host,
      `${local.path}/up.bin`,
      "-q",
      "--windowsize",
      "4",
    ]),
    0,
  );
  assertSameBytes(await Deno.readFile(`${root.path}/up.bin`), data);
  await assert.rejects(
    main(["put", host, `${local.path}/missing.bin`, "-q"]),
    (e) => e instanceof Error && /missing\.bin/.test(e.message),
  );
});

// The spawned program needs main.ts's whole dispatch table to load; in a
// branch where a sibling command's module is not merged yet, say so.
const MAIN = new URL("../main.ts", import.meta.url);
const MAIN_LOADS = ["../server/cli.ts", "../client/cli.ts"].every((p) => {
  try {
    return Deno.statSync(new URL(p, import.meta.url)).isFile;
  } catch {
    return false;
  }
});

Deno.test({
  name: MAIN_LOADS
    ? "tftp cli: the real program serves, gets, fails with exit 1, and stops on SIGTERM"
    : "tftp cli: the real program ... [SKIPPED: main.ts imports modules not in this branch]",
  ignore: !MAIN_LOADS,
  async fn() {
    await using root = await tempDir();
    await using local = await tempDir();
    const data = pseudoRandomBytes(10_000, 5);
    await Deno.writeFile(`${root.path}/f`, data);
    const deno = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--unstable-net", MAIN.pathname, "tftp", ...args],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
        cwd: local.path,
      });
    const server = deno(["serve", "--root", root.path, "--port", "0"]).spawn();
    try {
      const reader = server.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      const { value: first } = await reader.read();
      reader.releaseLock();
      const port = /127\.0\.0\.1:(\d+)/.exec(first ?? "")?.[1];
      assert.ok(port, `no port in '${first}'`);
      const ok = await deno(["get", `127.0.0.1:${port}`, "f"]).output();
      assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
      assertSameBytes(await Deno.readFile(`${local.path}/f`), data);
      const bad = await deno(["get", `127.0.0.1:${port}`, "nope"]).output();
      assert.equal(bad.code, 1);
      const err = new TextDecoder().decode(bad.stderr).trim();
      assert.match(err, /^netkit: tftp get nope: peer error 1: .*not found$/);
    } finally {
      server.kill("SIGTERM");
      const status = await server.status;
      await server.stdout.cancel().catch(() => {});
      await server.stderr.cancel().catch(() => {});
      assert.equal(status.code, 0);
    }
  },
});
