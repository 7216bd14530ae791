import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { compile } from "../scripts/compile.ts";
import { startServerProcess } from "./cli_helpers.ts";
import { bytes } from "./file_helpers.ts";
import { tempDir } from "./temp_dir.ts";

const DENO = Deno.execPath();

Deno.test("compile: the whole module graph compiles into one executable", async () => {
  // With the deno CLI standing in for denort the result cannot run netkit,
  // but building it proves every static import and --include resolves.
  await using dir = await tempDir();
  const r = await compile(dir.join("netkit"), { denortBin: DENO });
  assert.ok(r.success, r.stderr);
  assert.ok((await Deno.stat(dir.join("netkit"))).size > 1_000_000);
});

// A real denort: the one DENORT_BIN names, or one deno compile can download.
const build = await Deno.makeTempDir({ prefix: "netkit-compile-" });
const denort = Deno.env.get("DENORT_BIN");
// deno compile adds .exe on Windows.
const exe = `${build}/netkit${Deno.build.os === "windows" ? ".exe" : ""}`;
const built = (await compile(exe, {
  denortBin: denort && denort !== DENO ? denort : undefined,
})).success;
if (!built) {
  await Deno.remove(build, { recursive: true });
  console.log(
    "compile: the binary round trip is SKIPPED: no denort runtime here " +
      "(deno compile cannot download one and DENORT_BIN is unset)",
  );
}

Deno.test({
  name: `compile: the compiled binary runs a serve-files round trip${
    built ? "" : " (skipped: no denort runtime; set DENORT_BIN)"
  }`,
  ignore: !built,
  fn: async () => {
    const dec = new TextDecoder();
    const run = (args: string[]) => new Deno.Command(exe, { args }).output();
    try {
      assert.match(dec.decode((await run(["--version"])).stdout), /^netkit \d+\.\d+\.\d+/);
      await Deno.mkdir(`${build}/lib`);
      await Deno.writeFile(`${build}/src.bin`, bytes(100_000, 4));
      await using server = await startServerProcess(exe, [
        "serve-files",
        "--root",
        `${build}/lib`,
        "--port",
        "0",
      ]);
      const addr = `127.0.0.1:${server.port}`;
      const put = await run(["client", addr, "put", `${build}/src.bin`, "x.bin"]);
      assert.ok(put.success, dec.decode(put.stderr));
      const get = await run(["client", addr, "get", "x.bin", `${build}/back.bin`]);
      assert.ok(get.success, dec.decode(get.stderr));
      assertSameBytes(await Deno.readFile(`${build}/back.bin`), bytes(100_000, 4));
      const ls = await run(["client", addr, "ls"]);
      assert.match(dec.decode(ls.stdout), /x\.bin/);
      // Windows has no SIGTERM: Deno's kill() terminates the process there.
      if (Deno.build.os !== "windows") assert.equal((await server.stop("SIGTERM")).code, 0);
    } finally {
      await Deno.remove(build, { recursive: true });
    }
  },
});
