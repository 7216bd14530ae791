import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import denoJson from "../deno.json" with { type: "json" };
import { runNetkit, startNetkitServer } from "./cli_helpers.ts";
import { bytes, namesIn, tempDir } from "./file_helpers.ts";

Deno.test("cli: --version prints netkit's version from deno.json and Deno's", async () => {
  const r = await runNetkit(["--version"]);
  assert.equal(r.code, 0);
  assert.match(
    r.stdout,
    new RegExp(`^netkit ${denoJson.version.replaceAll(".", "\\.")} \\(deno \\d`),
  );
});

Deno.test("cli: --help lists the commands; each command has its own --help", async () => {
  const r = await runNetkit(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /serve-files/);
  assert.match(r.stdout, /client/);
  for (const c of ["serve-files", "client"]) {
    const h = await runNetkit([c, "--help"]);
    assert.equal(h.code, 0);
    assert.match(h.stdout, new RegExp(`Usage: netkit ${c}`));
  }
});

Deno.test("cli: an unknown command or flag is one line, a hint, and exit 2", async () => {
  for (
    const [args, pattern] of [
      [["frobnicate"], /^netkit: unknown command 'frobnicate'\nTry 'netkit --help'\.\n$/],
      [["--frob"], /^netkit: unknown option '--frob'\nTry 'netkit --help'\.\n$/],
      [
        ["serve-files", "--bogus"],
        /^netkit: unknown option '--bogus'\nTry 'netkit serve-files --help'\.\n$/,
      ],
      [["serve-files", "--port", "99999"], /^netkit: --port: expected a whole number/],
      [["serve-files", "--model", "fork"], /^netkit: --model: expected async, loop or workers/],
      [["client", "1.2.3.4:7070", "rm", "x"], /^netkit: unknown client command 'rm'/],
      [["client", "get"], /^netkit: get: missing argument/],
    ] as const
  ) {
    const r = await runNetkit([...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
});

Deno.test("cli: serve-files with a missing --root fails with one line and exit 1", async () => {
  const r = await runNetkit(["serve-files", "--root", "/nonexistent/netkit-x", "--port", "0"]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /root does not exist/);
});

Deno.test("cli: one-shot ls, put and get against a real serve-files process, then SIGTERM exits 0", async () => {
  await using lib = await tempDir({ "hello.txt": "hello\n" });
  await using local = await tempDir();
  const data = bytes(1_234_567, 5);
  await Deno.writeFile(local.join("data.bin"), data);
  await using server = await startNetkitServer(["serve-files", "--root", lib.path, "--port", "0"]);
  const addr = `127.0.0.1:${server.port}`;

  const ls = await runNetkit(["client", addr, "ls", "--json"]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.deepEqual(JSON.parse(ls.stdout).map((e: { name: string }) => e.name), ["hello.txt"]);

  const put = await runNetkit(["client", addr, "put", local.join("data.bin"), "copy.bin"]);
  assert.equal(put.code, 0, put.stderr);
  assert.match(put.stderr, /uploaded .* verified xxh3-128 [0-9a-f]{32}/);
  assert.equal(put.stdout, ""); // nothing on stdout when it is not a terminal

  const get = await runNetkit(["client", addr, "get", "copy.bin", local.join("back.bin")]);
  assert.equal(get.code, 0, get.stderr);
  assertSameBytes(await Deno.readFile(local.join("back.bin")), data);

  const missing = await runNetkit(["client", addr, "get", "nope.txt", local.join("nope.txt")]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "netkit: nope.txt: not found\n");
  assert.deepEqual(await namesIn(local.path), ["back.bin", "data.bin"]);

  // Windows has no SIGTERM (Deno's kill() terminates the process there), so
  // the graceful stop is checked on Linux and macOS only.
  if (Deno.build.os === "windows") return;
  const status = await server.stop("SIGTERM");
  assert.equal(status.code, 0);
  assert.match(server.stderr(), /PUT "copy.bin" 1234567 1234567B .*ok/);
  assert.match(server.stderr(), /stopped/);
});

Deno.test("cli: client against a closed port fails with one line", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const r = await runNetkit(["client", `127.0.0.1:${port}`, "ls"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^netkit: cannot connect to 127\.0\.0\.1:\d+: connection refused\n$/);
});

Deno.test("cli: the prompt client is driven through its numbered menu", async () => {
  await using lib = await tempDir({ "alpha.txt": "alpha\n", "beta.txt": "beta beta\n" });
  await using local = await tempDir({ "mine.txt": "my upload\n" });
  await using server = await startNetkitServer(["serve-files", "--root", lib.path, "--port", "0"]);
  const input = [
    "1", // list
    "2", // download: shows the numbered list and asks which
    "2", // beta.txt
    "", // save as the default name
    "3", // upload: asks for the local file
    "mine.txt",
    "theirs.txt", // name on the server
    "get nothing-here.txt", // an error, and the prompt goes on
    "frobnicate", // an unknown command
    'get "alpha.txt" copy.txt',
    "ls",
    "4", // quit
  ].join("\n") + "\n";
  const r = await runNetkit(["client", `127.0.0.1:${server.port}`], {
    stdin: input,
    cwd: local.path,
  });
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /1\) list +2\) download +3\) upload +4\) quit/);
  assert.match(out, /\n1\) .*alpha\.txt\n2\) .*beta\.txt\n/);
  assert.match(
    out,
    /Download which file \(number or name\)\? Save as \[beta\.txt\]: downloaded beta\.txt/,
  );
  assert.match(
    out,
    /Local file to upload: Name on the server \[mine\.txt\]: uploaded mine\.txt -> theirs\.txt/,
  );
  assert.match(out, /error: nothing-here\.txt: not found \[NOT_FOUND\]/);
  assert.match(out, /error: unknown command 'frobnicate'/);
  assert.match(out, /downloaded alpha\.txt -> copy\.txt/);
  assert.match(out, /theirs\.txt/);
  assert.match(out, /bye\n$/);
  assert.equal(await Deno.readTextFile(local.join("beta.txt")), "beta beta\n");
  assert.equal(await Deno.readTextFile(local.join("copy.txt")), "alpha\n");
  assert.equal(await Deno.readTextFile(lib.join("theirs.txt")), "my upload\n");
});

Deno.test("cli: the prompt survives a server that goes away and reconnects to a new one", async () => {
  await using lib = await tempDir({ "a.txt": "a" });
  const first = await startNetkitServer(["serve-files", "--root", lib.path, "--port", "0"]);
  const port = first.port;
  assert.equal((await first.stop("SIGKILL")).success, false);
  const r = await runNetkit(["client", `127.0.0.1:${port}`], { stdin: "ls\n4\n" });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /error: cannot connect .*connection refused/);
  assert.match(r.stdout, /bye/);
});
