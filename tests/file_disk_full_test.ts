import assert from "node:assert/strict";
import { isNetkitError } from "../core/errors.ts";
import { bytes, connect, namesIn, serve, tempDir } from "./file_helpers.ts";

/** Mounts a 1 MiB tmpfs (needs root and a kernel that allows it); null when it cannot. */
async function smallDisk(): Promise<{ path: string } & AsyncDisposable | null> {
  if (Deno.build.os !== "linux") return null;
  const path = await Deno.makeTempDir({ prefix: "netkit-full-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=1m", "tmpfs", path],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => null);
  if (!mount?.success) {
    await Deno.remove(path);
    return null;
  }
  return {
    path,
    async [Symbol.asyncDispose]() {
      await new Deno.Command("umount", { args: [path] }).output();
      await Deno.remove(path);
    },
  };
}

const disk = await smallDisk();

Deno.test({
  name:
    `disk full: an upload that fills the disk gets NO_SPACE, leaves nothing, and the session goes on${
      disk ? "" : " (skipped: cannot mount a small tmpfs here; needs root on Linux)"
    }`,
  ignore: disk === null,
  fn: async () => {
    await using d = disk!;
    await Deno.writeTextFile(`${d.path}/keep.txt`, "keep");
    await using local = await tempDir({ "big.bin": bytes(3 * 1024 * 1024, 8) });
    await using server = await serve(d.path);
    await using client = await connect(server);
    await assert.rejects(
      client.upload(local.join("big.bin"), "big.bin"),
      (e: unknown) => isNetkitError(e, "NO_SPACE"),
    );
    assert.deepEqual(await namesIn(d.path), ["keep.txt"]);
    // The stream stayed in step: the same connection still works.
    assert.deepEqual((await client.list()).map((e) => e.name), ["keep.txt"]);
    await Deno.writeTextFile(local.join("small.txt"), "fits");
    await client.upload(local.join("small.txt"), "small.txt");
    assert.deepEqual(await namesIn(d.path), ["keep.txt", "small.txt"]);
  },
});
