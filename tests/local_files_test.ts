// Local files as the client and the TFTP client treat them (issue 17,
// items 6 and 10): nothing but a regular file is ever opened (a FIFO would
// block the command forever), a download into a folder lands inside it as
// with cp, '-' is standard output, and no command replaces a local file
// without --overwrite.

import assert from "node:assert/strict";
import { isNetkitError } from "../core/errors.ts";
import {
  checkWritable,
  downloadPath,
  openLocalFile,
  readLocalText,
} from "../core/cli/local_file.ts";
import { netkitArgs, runNetkit, type RunResult } from "./cli_helpers.ts";
import { bytes, namesIn, serve, tempDir } from "./file_helpers.ts";
import { startServer } from "./tftp_helpers.ts";
import { assertSameBytes } from "./same_bytes.ts";

const hasFifos = Deno.build.os !== "windows";

async function mkfifo(path: string): Promise<void> {
  const r = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(r.success, "mkfifo failed");
}

/**
 * Runs `command` and fails if it opens the FIFO at `fifo`: a writer waits on
 * the FIFO, and whichever comes first (the command ending, or the FIFO being
 * opened for reading) decides. Either way the pending open is released.
 */
async function neverOpens(fifo: string, command: Promise<RunResult>): Promise<RunResult> {
  const writer = Deno.open(fifo, { write: true });
  const first = await Promise.race([
    command.then(() => "ended" as const),
    writer.then(() => "opened" as const),
  ]);
  if (first === "ended") {
    // Nobody read: open the reading end ourselves so the writer's open returns.
    const reader = await Deno.open(fifo, { read: true });
    (await writer).close();
    reader.close();
  } else {
    (await writer).close(); // the command reads an empty file and goes on
  }
  assert.equal(first, "ended", `the command opened the FIFO ${fifo}`);
  return await command;
}

Deno.test({
  name: "local files: only regular files are opened; a FIFO, a folder or a device is refused",
  ignore: !hasFifos,
  async fn() {
    await using dir = await tempDir({ "a.txt": "text" });
    const fifo = dir.join("pipe");
    await mkfifo(fifo);
    const refused = (kind: string) => (e: unknown) =>
      isNetkitError(e, "NOT_FOUND") && e.message.includes(kind);
    await assert.rejects(openLocalFile(fifo), refused("a FIFO, not a regular file"));
    await assert.rejects(readLocalText(fifo), refused("a FIFO"));
    await assert.rejects(openLocalFile(dir.path), refused("a folder"));
    await assert.rejects(openLocalFile("/dev/null"), refused("a device"));
    await assert.rejects(openLocalFile(dir.join("none")), refused("not found"));
    const { file, info } = await openLocalFile(dir.join("a.txt"));
    file.close();
    assert.equal(info.size, 4);
    assert.equal(await readLocalText(dir.join("a.txt")), "text");

    await checkWritable(dir.join("a.txt"));
    await checkWritable(dir.join("new.txt"));
    for (const path of [fifo, dir.path, "/dev/null"]) {
      await assert.rejects(checkWritable(path), (e) => isNetkitError(e, "EXISTS"), path);
    }
  },
});

Deno.test("local files: a download into a folder lands inside it, as with cp", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(dir.join("sub"));
  assert.equal(await downloadPath(undefined, "a.txt"), "a.txt");
  assert.equal(await downloadPath(dir.join("sub"), "a.txt"), dir.join("sub", "a.txt"));
  assert.equal(await downloadPath(dir.join("sub") + "//", "a.txt"), dir.join("sub", "a.txt"));
  assert.equal(await downloadPath(dir.join("b.txt"), "a.txt"), dir.join("b.txt"));
  await assert.rejects(
    downloadPath(dir.join("nope") + "/", "a.txt"),
    (e) => isNetkitError(e, "NOT_FOUND") && /no such folder/.test(e.message),
  );
  await assert.rejects(
    downloadPath(dir.join("sub"), undefined),
    (e) => isNetkitError(e, "INVALID_NAME") && /give DEST/.test(e.message),
  );
});

Deno.test({
  name: "local files: client put, tftp put and --ca never open a FIFO; each fails at once",
  ignore: !hasFifos,
  async fn() {
    await using lib = await tempDir();
    await using local = await tempDir();
    const fifo = local.join("pipe");
    await mkfifo(fifo);
    await using files = await serve(lib.path);
    await using tftp = await startServer(lib.path, { allowWrite: true });
    const put = await neverOpens(
      fifo,
      runNetkit(["client", `127.0.0.1:${files.addr.port}`, "put", fifo]),
    );
    assert.equal(put.code, 1);
    assert.equal(put.stderr, `netkit: ${fifo}: a FIFO, not a regular file\n`);
    const tput = await neverOpens(
      fifo,
      runNetkit(["tftp", "put", `127.0.0.1:${tftp.addr.port}`, fifo, "-q"]),
    );
    assert.equal(tput.code, 1);
    assert.equal(tput.stderr, `netkit: tftp put ${fifo}: a FIFO, not a regular file\n`);
    const ca = await neverOpens(
      fifo,
      runNetkit(["client", `127.0.0.1:${files.addr.port}`, "ls", "--ca", fifo]),
    );
    assert.equal(ca.code, 2);
    assert.match(ca.stderr, /^netkit: --ca: cannot read .*pipe: a FIFO, not a regular file\n/);
    // A download never writes into one either, even with --overwrite.
    await Deno.writeTextFile(lib.join("a.txt"), "a");
    const get = await neverOpens(
      fifo,
      runNetkit(["client", `127.0.0.1:${files.addr.port}`, "get", "a.txt", fifo, "--overwrite"]),
    );
    assert.equal(get.code, 1);
    assert.match(get.stderr, /a FIFO has that name/);
    assert.deepEqual(await namesIn(local.path), ["pipe"]);
    assert.deepEqual(await namesIn(lib.path), ["a.txt"]);
  },
});

Deno.test("local files: client get into a folder, over a folder, and to stdout", async () => {
  await using lib = await tempDir({ "a.txt": "alpha\n" });
  await using local = await tempDir();
  const data = bytes(300_000, 4);
  await Deno.writeFile(lib.join("big.bin"), data);
  await using server = await serve(lib.path);
  const client = (...args: string[]) =>
    runNetkit(["client", `127.0.0.1:${server.addr.port}`, ...args], { cwd: local.path });
  await Deno.mkdir(local.join("into"));

  const into = await client("get", "a.txt", "into");
  assert.equal(into.code, 0, into.stderr);
  assert.equal(await Deno.readTextFile(local.join("into", "a.txt")), "alpha\n");
  const again = await client("get", "a.txt", "into");
  assert.equal(again.code, 1);
  assert.equal(again.stderr, "netkit: into/a.txt exists already (use --overwrite to replace it)\n");

  // A folder where the file would go is never replaced, and no part file stays.
  await Deno.mkdir(local.join("into", "big.bin"));
  const over = await client("get", "big.bin", "into", "--overwrite");
  assert.equal(over.code, 1);
  assert.equal(
    over.stderr,
    "netkit: into/big.bin: a folder has that name (only a regular file is replaced)\n",
  );
  assert.deepEqual(await namesIn(local.join("into")), ["a.txt", "big.bin"]);

  const out = await new Deno.Command(Deno.execPath(), {
    args: netkitArgs([
      "client",
      `127.0.0.1:${server.addr.port}`,
      "get",
      "big.bin",
      "-",
    ]),
    cwd: local.path,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assertSameBytes(out.stdout, data);
  assert.match(new TextDecoder().decode(out.stderr), /downloaded big\.bin -> \(stdout\)/);
  const resume = await client("get", "big.bin", "-", "--resume");
  assert.equal(resume.code, 1);
  assert.match(resume.stderr, /--resume needs a file to continue, not '-'/);
  assert.deepEqual(await namesIn(local.path), ["into"]);
});

Deno.test("local files: tftp get refuses to replace a file without --overwrite", async () => {
  await using lib = await tempDir({ "a.txt": "new\n" });
  await using local = await tempDir({ "a.txt": "mine\n" });
  await using server = await startServer(lib.path);
  const tftp = (...args: string[]) =>
    runNetkit(["tftp", "get", `127.0.0.1:${server.addr.port}`, ...args, "-q"], {
      cwd: local.path,
    });
  const refused = await tftp("a.txt");
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr,
    "netkit: tftp get a.txt: a.txt exists already (use --overwrite to replace it)\n",
  );
  assert.equal(await Deno.readTextFile(local.join("a.txt")), "mine\n");
  await Deno.mkdir(local.join("sub"));
  assert.equal((await tftp("a.txt", "sub")).code, 0);
  assert.equal(await Deno.readTextFile(local.join("sub", "a.txt")), "new\n");
  assert.equal((await tftp("a.txt", "--overwrite")).code, 0);
  assert.equal(await Deno.readTextFile(local.join("a.txt")), "new\n");
  assert.deepEqual(await namesIn(local.path), ["a.txt", "sub"]);
});
