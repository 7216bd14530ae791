// The serve-files request log says what happened to a transfer that did not
// finish (issue 17, item 11): a client that went away, the idle timeout, or
// the server's shutdown, with the bytes moved until then; only a finished
// transfer says `ok`.

import assert from "node:assert/strict";
import { bytes, raw, serve, tempDir } from "./file_helpers.ts";
import type { StartFileServerOptions } from "../server/file_server.ts";
import { encodeFrame, FrameType } from "../protocol/file/frame.ts";

/** A log that hands over the first line matching a pattern once it is written. */
class LogWatch {
  readonly lines: string[] = [];
  #waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];

  readonly log = (line: string): void => {
    this.lines.push(line);
    this.#waiters = this.#waiters.filter((w) => !(w.pattern.test(line) && (w.resolve(line), true)));
  };

  /** The first line (already written or still to come) matching `pattern`. */
  line(pattern: RegExp): Promise<string> {
    const seen = this.lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ pattern, resolve }));
  }
}

async function start(root: string, watch: LogWatch, options: StartFileServerOptions = {}) {
  return await serve(root, { log: watch.log, ...options });
}

/** Begins an upload of `size` bytes by hand and sends `send` of them. */
async function beginUpload(server: Parameters<typeof raw>[0], size: number, send: number) {
  const c = await raw(server);
  await c.hello();
  await c.writer.send({ type: "PUT", name: "up.bin", size, flags: 0 });
  assert.equal((await c.reader.next())?.type, "PUT_READY");
  await c.send(encodeFrame(FrameType.DATA, bytes(send, 3)));
  return c;
}

Deno.test("file log: an upload cut by the client says disconnected, with the bytes that came", async () => {
  await using lib = await tempDir();
  const watch = new LogWatch();
  await using server = await start(lib.path, watch);
  const c = await beginUpload(server, 1_000_000, 300_000);
  const cut = watch.line(/PUT "up\.bin"/);
  c.conn.close();
  assert.match(await cut, /PUT "up\.bin" 1000000 \d+B [\d.]+ms disconnected$/);
  const got = Number(/ (\d+)B /.exec(await cut)![1]);
  assert.ok(got > 0 && got <= 300_000, `${got} bytes logged`);
});

Deno.test("file log: a download cut by the client says disconnected, not ok", async () => {
  await using lib = await tempDir();
  // Sparse: far more than the socket buffers hold, and nothing to write to disk.
  await Deno.writeFile(lib.join("big.bin"), new Uint8Array(0));
  await Deno.truncate(lib.join("big.bin"), 64 << 20);
  const watch = new LogWatch();
  await using server = await start(lib.path, watch);
  const c = await raw(server);
  await c.hello();
  await c.writer.send({ type: "GET", name: "big.bin", offset: 0 });
  assert.equal((await c.reader.next())?.type, "GET_OK");
  // Close with most of the file unread: the server's next writes fail.
  const cut = watch.line(/GET "big\.bin"/);
  c.conn.close();
  assert.match(await cut, /GET "big\.bin" \d+B [\d.]+ms disconnected$/);
});

Deno.test("file log: an upload the idle timeout cuts says timeout", async () => {
  await using lib = await tempDir();
  const watch = new LogWatch();
  await using server = await start(lib.path, watch, { idleTimeoutMs: 100 });
  await using _c = await beginUpload(server, 1_000_000, 1000);
  // The client now goes silent mid-upload.
  assert.match(await watch.line(/PUT "up\.bin"/), /PUT "up\.bin" 1000000 \d+B [\d.]+ms timeout$/);
});

Deno.test("file log: an upload the shutdown cuts says shutdown", async () => {
  await using lib = await tempDir();
  const watch = new LogWatch();
  const server = await start(lib.path, watch, { shutdownGraceMs: 0 });
  await using _c = await beginUpload(server, 1_000_000, 1000);
  await server.close();
  assert.match(await watch.line(/PUT "up\.bin"/), /PUT "up\.bin" 1000000 \d+B [\d.]+ms shutdown$/);
});

Deno.test("file log: finished transfers still say ok", async () => {
  await using lib = await tempDir({ "a.txt": "alpha" });
  const watch = new LogWatch();
  await using server = await start(lib.path, watch);
  const c = await beginUpload(server, 10, 10);
  await c.writer.send({ type: "END", digest: new Uint8Array(16) }); // a wrong digest
  assert.equal((await c.reader.next())?.type, "ERROR");
  await c.writer.send({ type: "GET", name: "a.txt", offset: 0 });
  assert.equal((await c.reader.next())?.type, "GET_OK");
  assert.match(await watch.line(/GET "a\.txt"/), /GET "a\.txt" 5B [\d.]+ms ok$/);
  assert.match(await watch.line(/PUT "up\.bin"/), /CHECKSUM_MISMATCH$/);
  c.conn.close();
});
