import assert from "node:assert/strict";
import { isNetkitError } from "../core/errors.ts";
import { bytes, connect, namesIn, serve, tempDir } from "./file_helpers.ts";
import { smallDisk } from "./small_disk.ts";

const disk = await smallDisk("1m");

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
