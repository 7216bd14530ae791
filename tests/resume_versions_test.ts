// A resume after the source changed (issue 17, item 7): the stale bytes are
// found at the start, by the source's size and modification time, and the
// transfer starts over (or, against an older server, stops at once with a
// clear message), in both directions, instead of failing the checksum after
// sending everything.

import assert from "node:assert/strict";
import { isNetkitError } from "../core/errors.ts";
import { Feature } from "../protocol/file/messages.ts";
import type { FrameReader } from "../protocol/file/frame_stream.ts";
import type { FileClient } from "../client/client.ts";
import { PARTIAL_PREFIX } from "../core/library/part_files.ts";
import {
  breakLocalUpload,
  breakResumableUpload,
  brokenDownload,
  bytes,
  connect,
  mtimeMsOf,
  namesIn,
  raw,
  serve,
  tempDir,
} from "./file_helpers.ts";
import { assertSameBytes } from "./same_bytes.ts";

/** Rewrites `path` with `data` (same size, other bytes) and a later modification time. */
async function change(path: string, data: Uint8Array): Promise<void> {
  const before = (await Deno.stat(path)).mtime!;
  await Deno.writeFile(path, data);
  const later = new Date(before.getTime() + 60_000);
  await Deno.utime(path, later, later);
}

/** Makes `client` behave as against a server from before RESUME_CHECK. */
function asOlderServer(client: FileClient): void {
  (client.welcome as { features: number }).features &= ~Feature.RESUME_CHECK;
}

Deno.test("resume versions: a download whose source changed starts over and is right", async () => {
  const v1 = bytes(600_000, 1);
  const v2 = bytes(600_000, 2); // the same size
  await using lib = await tempDir({ "f.bin": v1 });
  await using local = await tempDir();
  await brokenDownload(lib.join("f.bin"), local.join("f.bin"), v1.subarray(0, 250_000));
  await change(lib.join("f.bin"), v2);
  await using server = await serve(lib.path);
  await using client = await connect(server);
  const r = await client.download("f.bin", local.join("f.bin"), { resume: true });
  assert.equal(r.restarted, true);
  assert.equal(r.transferred, v2.length);
  assertSameBytes(await Deno.readFile(local.join("f.bin")), v2);
  assert.deepEqual(await namesIn(local.path), ["f.bin"]);
  // An unchanged source still resumes.
  await brokenDownload(lib.join("f.bin"), local.join("g.bin"), v2.subarray(0, 100_000));
  const g = await client.download("f.bin", local.join("g.bin"), { resume: true });
  assert.equal(g.transferred, v2.length - 100_000);
  assert.equal(g.restarted, false);
});

Deno.test("resume versions: against an older server, a stale download stops at once with a clear message", async () => {
  const v1 = bytes(3_000_000, 3);
  await using lib = await tempDir({ "f.bin": v1 });
  await using local = await tempDir();
  await brokenDownload(lib.join("f.bin"), local.join("f.bin"), v1.subarray(0, 1000));
  await change(lib.join("f.bin"), bytes(3_000_000, 4));
  await using server = await serve(lib.path);
  const client = await connect(server);
  asOlderServer(client);
  await assert.rejects(
    client.download("f.bin", local.join("f.bin"), { resume: true }),
    (e: unknown) =>
      isNetkitError(e, "SIZE_MISMATCH") &&
      e.message === "f.bin changed on the server since the broken download; " +
          "the part file was removed: run get again",
  );
  assert.equal(client.closed, true, "the stream was cut, not read to its end");
  assert.deepEqual(await namesIn(local.path), []);
});

Deno.test("resume versions: a download part without its source version is not trusted", async () => {
  const data = bytes(100_000, 5);
  await using lib = await tempDir({ "f.bin": data });
  await using local = await tempDir();
  // As an older netkit left it: bytes, and no record of where they came from.
  await Deno.writeFile(local.join(".f.bin.netkit-part"), bytes(40_000, 6));
  await using server = await serve(lib.path);
  await using client = await connect(server);
  const r = await client.download("f.bin", local.join("f.bin"), { resume: true });
  assert.equal(r.transferred, data.length);
  assertSameBytes(await Deno.readFile(local.join("f.bin")), data);
});

Deno.test("resume versions: the server sends a changed file whole when GET carries the old version", async () => {
  await using lib = await tempDir({ "f.bin": bytes(5000, 7) });
  await using server = await serve(lib.path);
  await using r = await raw(server);
  const welcome = await r.hello() as { features: number };
  assert.ok(welcome.features & Feature.RESUME_CHECK);
  const now = { size: 5000, mtimeMs: await mtimeMsOf(lib.join("f.bin")) };
  const old = { size: 5000, mtimeMs: now.mtimeMs - 1 };
  // The same version continues at the offset; another one starts from 0.
  for (const [ifVersion, offset] of [[now, 1000], [old, 0]] as const) {
    await r.writer.send({ type: "GET", name: "f.bin", offset: 1000, ifVersion });
    const ok = await r.reader.next();
    assert.deepEqual(ok, { type: "GET_OK", size: 5000, offset, mtimeMs: now.mtimeMs });
    await drainTransfer(r.reader);
  }
});

/** Reads a transfer's DATA frames and its END. */
async function drainTransfer(reader: FrameReader): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const m = await reader.next();
    if (m === null || m.type === "END") return;
    if (m.type === "DATA") await reader.readData(new Uint8Array(m.length));
  }
  throw new Error("no END");
}

Deno.test("resume versions: an upload whose source changed starts over, and the stale bytes go", async () => {
  const v1 = bytes(800_000, 8);
  const v2 = bytes(800_000, 9); // the same size
  await using lib = await tempDir();
  await using local = await tempDir({ "up.bin": v1 });
  await using server = await serve(lib.path);
  await breakLocalUpload(server, local.join("up.bin"), "up.bin", 300_000);
  assert.equal((await namesIn(lib.path)).filter((n) => n.startsWith(PARTIAL_PREFIX)).length, 1);
  await change(local.join("up.bin"), v2);
  // The same file, unchanged since, to another name: that one still resumes.
  await breakLocalUpload(server, local.join("up.bin"), "two.bin", 500_000);
  await using client = await connect(server);
  const r = await client.upload(local.join("up.bin"), "up.bin", { resume: true });
  assert.equal(r.transferred, v2.length, "started over");
  assertSameBytes(await Deno.readFile(lib.join("up.bin")), v2);
  const two = await client.upload(local.join("up.bin"), "two.bin", { resume: true });
  assert.equal(two.transferred, v2.length - 500_000);
  assert.deepEqual(await namesIn(lib.path), ["two.bin", "up.bin"]);
});

Deno.test("resume versions: against an older server, a stale upload says why it failed", async () => {
  const v1 = bytes(400_000, 10);
  await using lib = await tempDir();
  await using local = await tempDir({ "up.bin": v1 });
  await using server = await serve(lib.path);
  await breakResumableUpload(server, "up.bin", v1, 100_000); // no version, as an older client sends it
  await change(local.join("up.bin"), bytes(400_000, 11));
  await using client = await connect(server);
  asOlderServer(client);
  await assert.rejects(
    client.upload(local.join("up.bin"), "up.bin", { resume: true }),
    (e: unknown) =>
      isNetkitError(e, "CHECKSUM_MISMATCH") &&
      /the 100000 bytes the server kept of up\.bin are not the start of .*up\.bin \(it changed since the broken upload\); the server dropped them: run put again/
        .test(e.message),
  );
  assert.deepEqual(await namesIn(lib.path), []);
});
