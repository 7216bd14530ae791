/**
 * A lean client for the load generator: the protocol's own frame reader and
 * writer and its verified data paths, but downloads go to no file. It shows
 * what the server can do when the client side costs little, next to the
 * full `FileClient` (part files, renames, progress).
 *
 * @module
 */

import { createHasher, type HashName } from "../../core/hash/hash.ts";
import { errorFromWire, NetkitError } from "../../core/errors.ts";
import { FrameReader, FrameWriter, type Incoming } from "../../protocol/file/frame_stream.ts";
import { PROTOCOL_VERSION, PutFlag, type Welcome } from "../../protocol/file/messages.ts";
import { receiveData, sendData } from "../../protocol/file/data_path.ts";

function unexpected(m: Incoming | null, wanted: string): NetkitError {
  if (m === null) return new NetkitError("CLOSED", "server closed the connection");
  if (m.type === "ERROR") return errorFromWire(m.code, m.message);
  return new NetkitError("BAD_FRAME", `expected ${wanted}, got ${m.type}`);
}

const discard = { write: () => Promise.resolve() };

/** One connection speaking the protocol with no files on the client side. */
export class FramesClient {
  #closed = false;
  private constructor(
    readonly conn: Deno.TcpConn,
    readonly reader: FrameReader,
    readonly writer: FrameWriter,
    readonly welcome: Welcome,
  ) {}

  /** Connects and completes the handshake. */
  static async connect(port: number, timeoutMs: number): Promise<FramesClient> {
    const signal = AbortSignal.timeout(timeoutMs);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port, signal });
    const onAbort = () => conn.close();
    signal.addEventListener("abort", onAbort);
    try {
      conn.setNoDelay(true);
      const writer = new FrameWriter(conn);
      const reader = new FrameReader(conn);
      await writer.send({
        type: "HELLO",
        version: PROTOCOL_VERSION,
        hashes: ["xxh3-128"],
        token: new Uint8Array(0),
        client: "netkit-bench",
      });
      const m = await reader.next();
      if (m?.type !== "WELCOME") throw unexpected(m, "WELCOME");
      return new FramesClient(conn, reader, writer, m);
    } catch (e) {
      try {
        conn.close();
      } catch { /* closed by the timeout */ }
      throw signal.aborted ? new NetkitError("TIMEOUT", "handshake timed out") : e;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Downloads `name`, verifies it, and drops the bytes; resolves to its size. */
  get(name: string): Promise<number> {
    return this.#guard(async () => {
      await this.writer.send({ type: "GET", name, offset: 0 });
      const ok = await this.reader.next();
      if (ok?.type !== "GET_OK") throw unexpected(ok, "GET_OK");
      const hasher = await createHasher(this.welcome.hash as HashName);
      const r = await receiveData(this.reader, ok.size, discard, {
        maxFrame: this.welcome.maxFrame,
        hasher,
      });
      if (!r.ok) throw r.error;
      return ok.size;
    });
  }

  /** Uploads the local file `path` as `name` (overwriting); resolves to its size. */
  put(path: string, name: string): Promise<number> {
    return this.#guard(async () => {
      using file = await Deno.open(path);
      const size = (await file.stat()).size;
      await this.writer.send({ type: "PUT", name, size, flags: PutFlag.OVERWRITE });
      const ready = await this.reader.next();
      if (ready?.type !== "PUT_READY") throw unexpected(ready, "PUT_READY");
      const hasher = await createHasher(this.welcome.hash as HashName);
      await sendData(file, size, this.writer, { chunk: this.welcome.maxFrame, hasher });
      await this.writer.send({ type: "END", digest: hasher.digest() });
      const done = await this.reader.next();
      if (done?.type !== "PUT_OK") throw unexpected(done, "PUT_OK");
      return size;
    });
  }

  /** Lists the library; resolves to the number of entries. */
  list(): Promise<number> {
    return this.#guard(async () => {
      await this.writer.send({ type: "LIST" });
      let n = 0;
      for (let i = 0; i < 100_000; i++) {
        const m = await this.reader.next();
        if (m?.type !== "LIST_ENTRIES") throw unexpected(m, "LIST_ENTRIES");
        n += m.entries.length;
        if (m.last) break;
      }
      return n;
    });
  }

  /** Says goodbye and closes. */
  async quit(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.writer.send({ type: "QUIT" });
      await this.reader.next();
    } catch { /* closing anyway */ }
    this.close();
  }

  /** Closes at once; safe twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch { /* closed already */ }
  }
}
