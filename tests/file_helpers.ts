/**
 * Helpers for file-service tests: temp libraries that remove themselves,
 * servers on port 0 that stop themselves, raw protocol connections for
 * adversarial tests, and deterministic test data.
 *
 * @module
 */

import { FrameReader, FrameWriter, writeAll } from "../protocol/file/frame_stream.ts";
import { encodeFrame, FrameType } from "../protocol/file/frame.ts";
import { PROTOCOL_VERSION } from "../protocol/file/messages.ts";
import {
  type FileServer,
  startFileServer,
  type StartFileServerOptions,
} from "../server/file_server.ts";
import { FileClient } from "../client/client.ts";
import { partPathFor, sourcePathFor } from "../client/part_file.ts";
import { Prng } from "./prng.ts";
import { type TempDir, tempDir as makeTempDir } from "./temp_dir.ts";

/** Makes a temp folder holding `files` (name to content), removed on dispose. */
export async function tempDir(files: Record<string, string | Uint8Array> = {}): Promise<TempDir> {
  const dir = await makeTempDir();
  for (const [name, content] of Object.entries(files)) {
    if (typeof content === "string") await Deno.writeTextFile(dir.join(name), content);
    else await Deno.writeFile(dir.join(name), content);
  }
  return dir;
}

/** Starts a quiet file server on 127.0.0.1, port 0, over `root`. */
export function serve(root: string, options: StartFileServerOptions = {}): Promise<FileServer> {
  return startFileServer({ root, hostname: "127.0.0.1", port: 0, log: null, ...options });
}

/** Connects a client to `server`. */
export function connect(server: FileServer, timeoutMs = 10_000): Promise<FileClient> {
  return FileClient.connect({ hostname: "127.0.0.1", port: server.addr.port, timeoutMs });
}

/** Deterministic pseudo-random bytes, so failures reproduce. */
export function bytes(n: number, seed = 1): Uint8Array {
  return new Prng(seed).bytes(n);
}

/** A raw connection speaking frames by hand, for protocol-level tests. */
export interface RawConn extends AsyncDisposable {
  conn: Deno.TcpConn;
  reader: FrameReader;
  writer: FrameWriter;
  /** Sends raw bytes. */
  send(b: Uint8Array): Promise<void>;
  /** Sends HELLO (with `token`, if given) and returns the WELCOME (or whatever came). */
  hello(token?: string): Promise<unknown>;
}

/** Opens a raw connection to `server`. */
export async function raw(server: FileServer): Promise<RawConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  const reader = new FrameReader(conn, 1 << 20);
  const writer = new FrameWriter(conn);
  return {
    conn,
    reader,
    writer,
    send: (b) => writeAll(conn, b),
    async hello(token = "") {
      await writer.send({
        type: "HELLO",
        version: PROTOCOL_VERSION,
        hashes: ["xxh3-128"],
        token: new TextEncoder().encode(token),
        client: "test",
      });
      return await reader.next();
    },
    [Symbol.asyncDispose]: () => {
      try {
        conn.close();
      } catch { /* closed by the server */ }
      return Promise.resolve();
    },
  };
}

/** Names in `dir`, sorted, hidden ones included. */
export async function namesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

/** Resolves once `server` has at most `n` connections open. */
export function untilConnections(server: FileServer, n: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (server.connections > n) return;
      server.events.removeEventListener("connectionclose", check);
      resolve();
    };
    server.events.addEventListener("connectionclose", check);
    check();
  });
}

/**
 * Leaves what a broken download of the library file `remote` to `dest`
 * leaves: the first bytes (`prefix`) in the part file, and the version of
 * `remote` they came from beside it.
 */
export async function brokenDownload(
  remote: string,
  dest: string,
  prefix: Uint8Array,
): Promise<void> {
  const info = await Deno.stat(remote);
  const part = partPathFor(dest);
  await Deno.writeFile(part, prefix);
  await Deno.writeTextFile(
    sourcePathFor(part),
    JSON.stringify({ size: info.size, mtimeMs: info.mtime!.getTime() }),
  );
}

/**
 * A resumable upload of `data` to `name`, sent as the client sends it for a
 * local file of version (mtime) `version`, that breaks after `sent` bytes:
 * the client goes away. Resolves once the server has let the connection go
 * (so its part file is idle).
 */
export async function breakResumableUpload(
  server: FileServer,
  name: string,
  data: Uint8Array,
  sent: number,
  version?: number,
): Promise<void> {
  {
    await using r = await raw(server);
    await r.hello();
    await r.writer.send({ type: "PUT", name, size: data.length, flags: 2, version });
    const ready = await r.reader.next();
    if (ready?.type !== "PUT_READY" || ready.offset !== 0) {
      throw new Error(`expected PUT_READY at 0, got ${JSON.stringify(ready)}`);
    }
    for (let at = 0; at < sent; at += 256 * 1024) {
      await r.send(encodeFrame(FrameType.DATA, data.subarray(at, Math.min(sent, at + 256 * 1024))));
    }
  }
  await untilConnections(server, 0);
}

/** A local file's version as the client sends it: its modification time in ms. */
export async function mtimeMsOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mtime!.getTime();
}

/**
 * {@linkcode breakResumableUpload} of the local file at `path` as `name`, sent
 * as the client sends that file: its bytes, with its version.
 */
export async function breakLocalUpload(
  server: FileServer,
  path: string,
  name: string,
  sent: number,
): Promise<void> {
  await breakResumableUpload(server, name, await Deno.readFile(path), sent, await mtimeMsOf(path));
}
