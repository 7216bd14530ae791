// Part files of resumable uploads never hold space the library needs, are
// never made by a status query, and can be cancelled by their owner (issue
// 17, item 5). Full-disk cases run on a real 5 MiB tmpfs, for the file
// service and for HTTP.

import assert from "node:assert/strict";
import { isNetkitError } from "../core/errors.ts";
import { PARTIAL_PREFIX } from "../core/library/part_files.ts";
import { partNameOf } from "../core/library/part_files.ts";
import type { FileServer } from "../server/file_server.ts";
import { breakResumableUpload, bytes, connect, namesIn, serve, tempDir } from "./file_helpers.ts";
import { serve as serveHttp } from "./http_helpers.ts";
import { holdLock } from "./lock_holder.ts";
import { runNetkit } from "./cli_helpers.ts";
import { canMountSmallDisk, SMALL_DISK_SKIP, smallDisk } from "./small_disk.ts";

const MiB = 1024 * 1024;
const AUTH = { authorization: `Basic ${btoa("alice:s3cret")}` };

/** A resumable upload of `size` bytes to `name`, cut after `sent` bytes. */
function breakUpload(server: FileServer, name: string, size: number, sent: number) {
  return breakResumableUpload(server, name, bytes(size, size), sent);
}

async function parts(dir: string): Promise<string[]> {
  return (await namesIn(dir)).filter((n) => n.startsWith(PARTIAL_PREFIX));
}

/**
 * A 5 MiB disk served by the file service, holding the idle 3 MiB part file
 * of a broken 4 MiB upload, and a local 3 MiB file that needs its room.
 */
async function diskWithIdlePart() {
  await using stack = new AsyncDisposableStack();
  const d = stack.use((await smallDisk("5m"))!);
  const local = stack.use(await tempDir({ "3m.bin": bytes(3 * MiB, 2) }));
  const server = stack.use(await serve(d.path));
  await breakUpload(server, "big.bin", 4 * MiB, 3 * MiB);
  const owned = stack.move();
  return { d, local, server, [Symbol.asyncDispose]: () => owned.disposeAsync() };
}

Deno.test({
  name:
    `part files: a resumable upload that fills the disk leaves no part file behind${SMALL_DISK_SKIP}`,
  ignore: !canMountSmallDisk,
  async fn() {
    await using d = (await smallDisk("5m"))!;
    await using local = await tempDir({ "8m.bin": bytes(8 * MiB, 1), "six.txt": "six by" });
    await using server = await serve(d.path);
    await using client = await connect(server);
    await assert.rejects(
      client.upload(local.join("8m.bin"), "8m.bin", { resume: true }),
      (e: unknown) => isNetkitError(e, "NO_SPACE"),
    );
    assert.deepEqual(await namesIn(d.path), []);
    await client.upload(local.join("six.txt"), "six.txt");
    assert.deepEqual(await namesIn(d.path), ["six.txt"]);
  },
});

Deno.test({
  name:
    `part files: an idle part file gives its space to an upload that needs it${SMALL_DISK_SKIP}`,
  ignore: !canMountSmallDisk,
  async fn() {
    await using fx = await diskWithIdlePart();
    const { d, local, server } = fx;
    assert.equal((await parts(d.path)).length, 1);
    await using client = await connect(server);
    await client.upload(local.join("3m.bin"), "3m.bin");
    assert.deepEqual(await namesIn(d.path), ["3m.bin"]);
  },
});

Deno.test({
  name: `part files: one an upload is writing is never evicted${SMALL_DISK_SKIP}`,
  ignore: !canMountSmallDisk,
  async fn() {
    await using fx = await diskWithIdlePart();
    const { d, local, server } = fx;
    const [part] = await parts(d.path);
    using _writer = await holdLock(`${d.path}/${part}`); // another upload writes it
    await using client = await connect(server);
    await assert.rejects(
      client.upload(local.join("3m.bin"), "3m.bin"),
      (e: unknown) => isNetkitError(e, "NO_SPACE"),
    );
    assert.deepEqual(await namesIn(d.path), [part]);
  },
});

Deno.test({
  name:
    `part files: over HTTP, a full disk answers 507 and keeps no part; an idle one is evicted${SMALL_DISK_SKIP}`,
  ignore: !canMountSmallDisk,
  async fn() {
    await using d = (await smallDisk("5m"))!;
    await using server = await serveHttp({ root: d.path, upload: true, auth: "alice:s3cret" });
    const put = async (name: string, data: Uint8Array, range?: string) => {
      const body = new Uint8Array(data); // an ArrayBuffer-backed copy, as fetch wants
      const r = await fetch(server.url + name, {
        method: "PUT",
        body,
        headers: range ? { ...AUTH, "content-range": range } : AUTH,
      });
      await r.body?.cancel();
      return r.status;
    };
    assert.equal(await put("8m.bin", bytes(8 * MiB, 3), `bytes 0-${8 * MiB - 1}/${8 * MiB}`), 507);
    assert.deepEqual(await namesIn(d.path), []);
    assert.equal(await put("six.txt", new TextEncoder().encode("six by")), 201);
    // A broken resumable upload keeps 3 MiB; a plain upload that needs the room gets it.
    assert.equal(await put("big.bin", bytes(3 * MiB, 4), `bytes 0-${3 * MiB - 1}/${4 * MiB}`), 202);
    assert.equal((await parts(d.path)).length, 1);
    assert.equal(await put("3m.bin", bytes(3 * MiB, 5)), 201);
    assert.deepEqual(await namesIn(d.path), ["3m.bin", "six.txt"]);
  },
});

Deno.test("part files: an HTTP status query or a 416 creates nothing", async () => {
  await using dir = await tempDir();
  await using server = await serveHttp({ root: dir.path, upload: true, auth: "alice:s3cret" });
  const ask = async (range: string, body?: string) => {
    const r = await fetch(server.url + "f.bin", {
      method: "PUT",
      body,
      headers: { ...AUTH, "content-range": range },
    });
    await r.body?.cancel();
    return [r.status, r.headers.get("upload-offset")];
  };
  assert.deepEqual(await ask("bytes */1234"), [200, "0"]);
  assert.deepEqual(await ask("bytes 5-9/1234", "56789"), [416, "0"]);
  const patch = await fetch(server.url + "f.bin", {
    method: "PATCH",
    headers: { ...AUTH, "upload-offset": "0", "upload-length": "1234", "content-length": "0" },
  });
  await patch.body?.cancel();
  assert.equal(patch.status, 200);
  assert.deepEqual(await namesIn(dir.path), []);
  // Once bytes are held, the query reports them.
  assert.deepEqual(await ask("bytes 0-4/1234", "01234"), [202, "5"]);
  assert.deepEqual(await ask("bytes */1234"), [200, "5"]);
  assert.deepEqual(await ask("bytes 9-9/1234", "9"), [416, "5"]);
});

Deno.test("part files: DELETE naming the upload's size cancels it over HTTP (an upload right, not --delete)", async () => {
  await using dir = await tempDir({ "keep.txt": "keep" });
  await using server = await serveHttp({ root: dir.path, upload: true, auth: "alice:s3cret" });
  const send = async (method: string, headers: Record<string, string>, body?: string) => {
    const r = await fetch(server.url + "f.bin", { method, body, headers });
    await r.body?.cancel();
    return r.status;
  };
  assert.equal(await send("PUT", { ...AUTH, "content-range": "bytes 0-4/10" }, "01234"), 202);
  assert.equal((await parts(dir.path)).length, 1);
  assert.equal(await send("DELETE", { "content-range": "bytes */10" }), 401);
  assert.equal(await send("DELETE", { ...AUTH, "content-range": "bytes */11" }), 404);
  assert.equal(await send("DELETE", { ...AUTH, "content-range": "bytes 0-1/10" }), 400);
  assert.equal(await send("DELETE", { ...AUTH, "content-range": "bytes */10" }), 204);
  assert.deepEqual(await namesIn(dir.path), ["keep.txt"]);
  assert.equal(await send("DELETE", { ...AUTH, "upload-length": "10" }), 404);
  // Upload-Length works as well, and a plain DELETE still needs --delete.
  assert.equal(await send("PUT", { ...AUTH, "content-range": "bytes 0-4/10" }, "01234"), 202);
  assert.equal(await send("DELETE", AUTH), 405);
  // One being written now is not cancelled under the writer.
  const part = `${dir.path}/${partNameOf("f.bin", 10)}`;
  {
    using _writer = await holdLock(part);
    assert.equal(await send("DELETE", { ...AUTH, "upload-length": "10" }), 409);
  }
  assert.equal(await send("DELETE", { ...AUTH, "upload-length": "10" }), 204);
  assert.deepEqual(await namesIn(dir.path), ["keep.txt"]);
});

Deno.test("part files: CANCEL drops a broken upload over the file protocol and from the command line", async () => {
  await using lib = await tempDir({ "keep.txt": "keep" });
  await using server = await serve(lib.path);
  await breakUpload(server, "big.bin", 4 * MiB, 2 * MiB);
  await breakUpload(server, "big.bin", 5 * MiB, MiB); // another size: it replaces the first
  assert.equal((await parts(lib.path)).length, 1);
  await using client = await connect(server);
  assert.equal(await client.cancelUpload("big.bin"), 1);
  assert.deepEqual(await namesIn(lib.path), ["keep.txt"]);
  await assert.rejects(
    client.cancelUpload("big.bin"),
    (e: unknown) => isNetkitError(e, "NOT_FOUND"),
  );
  await assert.rejects(
    client.cancelUpload("../x"),
    (e: unknown) => isNetkitError(e, "INVALID_NAME"),
  );
  assert.deepEqual((await client.list()).map((e) => e.name), ["keep.txt"]); // the session goes on

  await breakUpload(server, "big.bin", 4 * MiB, MiB);
  const cli = await runNetkit(["client", `127.0.0.1:${server.addr.port}`, "cancel", "big.bin"]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(
    cli.stderr,
    "cancelled: dropped what the server kept of 1 broken upload to big.bin\n",
  );
  assert.deepEqual(await namesIn(lib.path), ["keep.txt"]);

  await using readOnly = await serve(lib.path, { readOnly: true });
  await using ro = await connect(readOnly);
  await assert.rejects(ro.cancelUpload("big.bin"), (e: unknown) => isNetkitError(e, "UNEXPECTED"));
});
