/**
 * The file protocol's client: one connection to a netkit file server, on
 * which to list, download, upload and cancel uploads, each verified end to
 * end. The handshake is in `connect.ts`, the transfers in `download.ts` and
 * `upload.ts`; this class holds the connection, its idle watchdog, and the
 * rule that a broken connection closes the client.
 *
 * @module
 */

import type { HashName } from "../core/hash/hash.ts";
import { isNetkitError, NetkitError } from "../core/errors.ts";
import { Feature, type ListEntry, type Welcome } from "../protocol/file/messages.ts";
import { type ChunkWriter, HashPool } from "../core/hash/hash_pool.ts";
import type { TrackedConn } from "../core/net/tracked_conn.ts";
import { type Channel, type TransferResult, unexpected } from "./channel.ts";
import { connectAndGreet, type ConnectOptions, type Greeted } from "./connect.ts";
import { downloadFile, type DownloadOptions, downloadStream } from "./download.ts";
import { uploadFile, type UploadOptions } from "./upload.ts";

export type { ConnectOptions, DownloadOptions, UploadOptions };
export type { Progress, TransferResult } from "./channel.ts";

/** Hash Workers shared by every client in this process; they stop when the last client closes. */
const sharedPool = new HashPool(1);

/** A connection to a netkit file server. */
export class FileClient implements AsyncDisposable {
  /** What the server announced. */
  readonly welcome: Welcome;
  readonly #conn: TrackedConn;
  readonly #channel: Channel;
  readonly #watchdog: ReturnType<typeof setInterval>;
  readonly #pool = sharedPool.acquire();
  #closed = false;

  private constructor(greeted: Greeted, offloadMin = Infinity) {
    const { conn, timeoutMs } = greeted;
    this.#conn = conn;
    this.welcome = greeted.welcome;
    this.#channel = {
      reader: greeted.reader,
      writer: greeted.writer,
      welcome: greeted.welcome,
      hash: greeted.welcome.hash as HashName,
      pool: this.#pool,
      offloadMin,
      close: () => this.close(),
    };
    this.#watchdog = setInterval(() => {
      if (performance.now() - conn.lastActive > timeoutMs) conn.close();
    }, Math.min(1000, timeoutMs / 4));
  }

  /** Connects and performs the handshake. */
  static async connect(options: ConnectOptions = {}): Promise<FileClient> {
    const client = new FileClient(await connectAndGreet(options), options.hashOffloadMinBytes);
    if (options.signal) options.signal.addEventListener("abort", () => client.close());
    return client;
  }

  /** The hash algorithm transfers are verified with. */
  get hash(): HashName {
    return this.#channel.hash;
  }

  /** Runs one request; a connection error closes the client and says so plainly. */
  async #request<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    if (this.#closed) throw new NetkitError("CLOSED", "connection is closed");
    try {
      return await fn(this.#channel);
    } catch (e) {
      if (isNetkitError(e) && !["CLOSED", "BAD_FRAME", "TIMEOUT"].includes(e.code)) throw e;
      this.close();
      if (isNetkitError(e)) throw e;
      if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) {
        throw new NetkitError("CLOSED", "connection lost (closed or timed out)");
      }
      if (
        e instanceof Error && e.name.startsWith("Connection") || e instanceof Deno.errors.BrokenPipe
      ) {
        throw new NetkitError("CLOSED", `connection lost: ${(e as Error).message}`);
      }
      throw e;
    }
  }

  /** Lists the library's files, sorted by name. */
  list(): Promise<ListEntry[]> {
    return this.#request(async (ch) => {
      await ch.writer.send({ type: "LIST" });
      const all: ListEntry[] = [];
      while (true) {
        const m = await ch.reader.next();
        if (m?.type !== "LIST_ENTRIES") throw unexpected(m, "LIST_ENTRIES");
        all.push(...m.entries);
        if (m.last) return all;
      }
    });
  }

  /**
   * Downloads `name` to the local path `dest`, verified end to end.
   *
   * @throws {NetkitError} `EXISTS` when `dest` exists and `overwrite` is off;
   *   `CHECKSUM_MISMATCH`; or the server's error
   */
  download(name: string, dest: string, options: DownloadOptions = {}): Promise<TransferResult> {
    return this.#request((ch) => downloadFile(ch, name, dest, options));
  }

  /**
   * Streams `name` from its first byte into `out` (standard output, say).
   * The digest is checked at the end, so on a mismatch the bytes have been
   * written already: the error says so, as with any pipe.
   */
  downloadTo(
    name: string,
    out: ChunkWriter,
    options: Pick<DownloadOptions, "onProgress"> = {},
  ): Promise<TransferResult> {
    return this.#request((ch) => downloadStream(ch, name, out, options));
  }

  /**
   * Uploads the local file `path` as `name`, verified end to end. The file
   * appears on the server only once complete and verified.
   */
  upload(path: string, name: string, options: UploadOptions = {}): Promise<TransferResult> {
    return this.#request((ch) => uploadFile(ch, path, name, options));
  }

  /**
   * Drops what the server kept of broken resumable uploads to `name`.
   *
   * @returns how many it dropped
   * @throws {NetkitError} `NOT_FOUND` when it kept none; `BUSY` when an
   *   upload is writing one now; `UNEXPECTED` for a server too old to cancel
   */
  cancelUpload(name: string): Promise<number> {
    return this.#request(async (ch) => {
      if ((this.welcome.features & Feature.CANCEL) === 0) {
        throw new NetkitError("UNEXPECTED", "this server cannot cancel uploads");
      }
      await ch.writer.send({ type: "CANCEL", name });
      const m = await ch.reader.next();
      if (m?.type !== "CANCEL_OK") throw unexpected(m, "CANCEL_OK");
      return m.removed;
    });
  }

  /** Says goodbye and closes the connection. */
  async quit(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#channel.writer.send({ type: "QUIT" });
      await this.#channel.reader.next();
    } catch { /* closing anyway */ }
    this.close();
  }

  /** Milliseconds since the connection last moved a byte. */
  get idleMs(): number {
    return performance.now() - this.#conn.lastActive;
  }

  /** True once the connection is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the connection at once; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watchdog);
    this.#pool.release();
    this.#conn.close();
  }

  /** Quits politely. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.quit();
  }
}
