/**
 * The file protocol's client: connect and greet, then list, download and
 * upload with end-to-end verification. Downloads land in a part file beside
 * the destination and take its name only once verified, so a failed
 * download never leaves a half file under the final name.
 *
 * @module
 */

import {
  createHasher,
  type Hasher,
  type HashName,
  isHashName,
  SUPPORTED_HASHES,
} from "../core/hash.ts";
import { errorFromWire, isNetkitError, NetkitError } from "../core/errors.ts";
import { DEFAULT_MAX_FRAME } from "../protocol/file/frame.ts";
import { FrameReader, FrameWriter, type Incoming } from "../protocol/file/frame_stream.ts";
import {
  ALPN,
  Feature,
  type ListEntry,
  type Message,
  PROTOCOL_VERSION,
  PutFlag,
  type SourceVersion,
  type Welcome,
} from "../protocol/file/messages.ts";
import {
  type DigestSource,
  hashPrefix,
  receiveData,
  sendData,
} from "../protocol/file/data_path.ts";
import { FileWriter } from "../core/disk_io.ts";
import { type ChunkWriter, type FileHashJob, followWrites, HashPool } from "../core/hash_pool.ts";
import { TrackedConn } from "../core/tracked_conn.ts";
import { formatHostPort } from "../core/net.ts";
import { finishPart, openPart, type PartFile } from "./part_file.ts";
import { openLocalFile } from "../core/local_file.ts";

/** Options of {@linkcode FileClient.connect}. */
export interface ConnectOptions {
  /** Server host. @default "127.0.0.1" */
  hostname?: string;
  /** Server port. @default 7070 */
  port?: number;
  /** Hash algorithms to offer, preferred first. @default ["xxh3-128", "sha256"] */
  hashes?: HashName[];
  /** Give up when the server sends nothing for this long, ms. @default 60000 */
  timeoutMs?: number;
  /** Aborts the connection attempt and every transfer. */
  signal?: AbortSignal;
  /** Speak TLS; `caCerts` (PEM) adds trusted roots, e.g. a self-signed server's. @default off */
  tls?: { caCerts?: string[] } | null;
  /** The server's shared token, or the user's password with `user`. @default none */
  token?: string;
  /** Sign in as this user (the server's `--users`); `token` is then the password. @default none */
  user?: string;
  /**
   * Transfers at least this large are hashed by a Worker that reads the file
   * itself; smaller ones inline. Inline is faster for one transfer on a busy
   * machine (no second pass over the file). @default Infinity (inline)
   */
  hashOffloadMinBytes?: number;
}

/** Progress of one transfer. */
export interface Progress {
  /** Bytes of the file present at the destination so far. */
  done: number;
  /** The file's whole size. */
  total: number;
  /** Bytes that were already there when the transfer started (a resume). */
  start: number;
}

/** Options of {@linkcode FileClient.download}. */
export interface DownloadOptions {
  /** Continue a part file left by a broken download. @default false */
  resume?: boolean;
  /** Replace an existing local file. @default false */
  overwrite?: boolean;
  /** Flush the file to disk before it takes its name (survives a power cut). @default false */
  sync?: boolean;
  /** Called as bytes arrive. */
  onProgress?: (p: Progress) => void;
}

/** Options of {@linkcode FileClient.upload}. */
export interface UploadOptions {
  /** Replace a file of the same name on the server. @default false */
  overwrite?: boolean;
  /**
   * Continue what an earlier broken upload of this name and size left on the
   * server (and let the server keep this attempt's bytes if it breaks too).
   * @default false
   */
  resume?: boolean;
  /** Called as bytes go out. */
  onProgress?: (p: Progress) => void;
}

/** The result of a verified transfer. */
export interface TransferResult {
  /** The file's size. */
  size: number;
  /** Bytes actually moved (less than size after a resume). */
  transferred: number;
  /** The verified digest. */
  digest: Uint8Array;
  /** The algorithm of the digest. */
  hash: HashName;
  /** A resume found the source changed since the broken transfer, and started over. */
  restarted?: boolean;
}

/** Hash Workers shared by every client in this process; they stop when the last client closes. */
const sharedPool = new HashPool(1);

function sameVersion(a: SourceVersion | null, b: SourceVersion): boolean {
  return a !== null && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function unexpected(m: Incoming | null, wanted: string): NetkitError {
  if (m === null) return new NetkitError("CLOSED", "server closed the connection");
  if (m.type === "ERROR") return errorFromWire(m.code, m.message);
  return new NetkitError("BAD_FRAME", `expected ${wanted}, got ${m.type}`);
}

/** A connection to a netkit file server. */
export class FileClient implements AsyncDisposable {
  /** What the server announced. */
  readonly welcome: Welcome;
  readonly #conn: TrackedConn;
  readonly #reader: FrameReader;
  readonly #writer: FrameWriter;
  readonly #watchdog: ReturnType<typeof setInterval>;
  readonly #pool = sharedPool.acquire();
  #closed = false;

  readonly #offloadMin: number;

  private constructor(
    conn: TrackedConn,
    reader: FrameReader,
    welcome: Welcome,
    timeoutMs: number,
    offloadMin = Infinity,
  ) {
    this.#offloadMin = offloadMin;
    this.#conn = conn;
    this.#reader = reader;
    this.#writer = new FrameWriter(conn);
    this.welcome = welcome;
    this.#watchdog = setInterval(() => {
      if (performance.now() - conn.lastActive > timeoutMs) conn.close();
    }, Math.min(1000, timeoutMs / 4));
  }

  /** Connects and performs the handshake. */
  static async connect(options: ConnectOptions = {}): Promise<FileClient> {
    const hostname = options.hostname ?? "127.0.0.1";
    const port = options.port ?? 7070;
    const timeoutMs = options.timeoutMs ?? 60_000;
    const signal = AbortSignal.any([
      AbortSignal.timeout(timeoutMs),
      ...(options.signal ? [options.signal] : []),
    ]);
    let conn: Deno.TcpConn | Deno.TlsConn;
    try {
      if (options.tls) {
        // connectTls takes no signal: close on abort instead.
        const connecting = Deno.connectTls({
          hostname,
          port,
          caCerts: options.tls.caCerts,
          alpnProtocols: [ALPN],
        });
        const aborted = new Promise<never>((_, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason), { once: true })
        );
        aborted.catch(() => {}); // the timeout fires later even when all went well
        connecting.then((c) => signal.aborted && c.close(), () => {});
        conn = await Promise.race([connecting, aborted]);
        await Promise.race([conn.handshake(), aborted]);
      } else {
        conn = await Deno.connect({ hostname, port, signal });
        conn.setNoDelay(true);
      }
    } catch (e) {
      const where = formatHostPort(hostname, port);
      if (options.tls && !signal.aborted && !(e instanceof Deno.errors.ConnectionRefused)) {
        throw new NetkitError(
          "CLOSED",
          `TLS handshake with ${where} failed: ${(e as Error).message}`,
        );
      }
      if (e instanceof Deno.errors.ConnectionRefused) {
        throw new NetkitError(
          "CLOSED",
          `cannot connect to ${where}: connection refused`,
        );
      }
      if (signal.aborted) {
        throw new NetkitError("TIMEOUT", `cannot connect to ${where}: timed out`);
      }
      throw new NetkitError(
        "CLOSED",
        `cannot connect to ${where}: ${(e as Error).message}`,
      );
    }
    const tracked = new TrackedConn(conn);
    const onAbort = () => tracked.close();
    signal.addEventListener("abort", onAbort);
    try {
      const writer = new FrameWriter(tracked);
      // Until WELCOME announces the server's limit, accept the default frame size.
      const greeting = new FrameReader(tracked, DEFAULT_MAX_FRAME);
      await writer.send({
        type: "HELLO",
        version: PROTOCOL_VERSION,
        hashes: options.hashes ?? [...SUPPORTED_HASHES],
        token: new TextEncoder().encode(options.token ?? ""),
        client: "netkit-client",
        user: options.user,
      });
      const m = await greeting.next();
      if (m?.type !== "WELCOME") throw unexpected(m, "WELCOME");
      if (!isHashName(m.hash)) {
        throw new NetkitError("UNEXPECTED", `server chose an unknown hash: ${m.hash}`);
      }
      // DATA frames may be as large as the server's announced limit.
      greeting.setMaxFrame(Math.max(DEFAULT_MAX_FRAME, m.maxFrame));
      const client = new FileClient(tracked, greeting, m, timeoutMs, options.hashOffloadMinBytes);
      if (options.signal) options.signal.addEventListener("abort", () => client.close());
      return client;
    } catch (e) {
      tracked.close();
      if (signal.aborted && !isNetkitError(e)) {
        throw new NetkitError("TIMEOUT", "the server did not answer the handshake");
      }
      throw isNetkitError(e) ? e : new NetkitError("CLOSED", `handshake failed: ${e}`);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** The hash algorithm transfers are verified with. */
  get hash(): HashName {
    return this.welcome.hash as HashName;
  }

  async #request<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new NetkitError("CLOSED", "connection is closed");
    try {
      return await fn();
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

  async #next(): Promise<Incoming | null> {
    return await this.#reader.next();
  }

  /** Lists the library's files, sorted by name. */
  list(): Promise<ListEntry[]> {
    return this.#request(async () => {
      await this.#writer.send({ type: "LIST" });
      const all: ListEntry[] = [];
      while (true) {
        const m = await this.#next();
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
    return this.#request(async () => {
      const part: PartFile = await openPart(dest, options);
      let keepPart = false;
      let job: FileHashJob | null = null;
      let restarted = false;
      try {
        // A server that checks versions sends the file whole if it changed.
        const checks = (this.welcome.features & Feature.RESUME_CHECK) !== 0;
        const ifVersion = checks && part.source ? part.source : undefined;
        await this.#writer.send({ type: "GET", name, offset: part.offset, ifVersion });
        const ok = await this.#next();
        if (ok?.type !== "GET_OK") throw unexpected(ok, "GET_OK");
        const now = { size: ok.size, mtimeMs: ok.mtimeMs };
        if (ok.offset !== part.offset && !(ifVersion && ok.offset === 0)) {
          throw new NetkitError("BAD_FRAME", "server ignored the offset");
        }
        if (part.offset > 0 && ok.offset === part.offset && !sameVersion(part.source, now)) {
          // An older server sends what was asked: the stream must be cut.
          this.close();
          throw new NetkitError(
            "SIZE_MISMATCH",
            `${name} changed on the server since the broken download; ` +
              "the part file was removed: run get again",
          );
        }
        if (ok.offset === 0) {
          restarted = part.offset > 0;
          await part.begin(now);
        }
        const total = ok.size;
        const length = total - ok.offset;
        let out: ChunkWriter = new FileWriter(part.file);
        let source: DigestSource;
        if (total >= this.#offloadMin) {
          // Hashed on another core, following the part file as it is written.
          job = this.#pool.hashFile(part.path, this.hash, { ready: part.offset });
          ({ out, source } = followWrites(job, part.offset, total, out));
          if (part.offset > 0) await part.file.seek(part.offset, Deno.SeekMode.Start);
        } else {
          const hasher = await createHasher(this.hash);
          if (part.offset > 0) await hashPrefix(part.file, part.offset, hasher);
          source = hasher;
        }
        keepPart = true;
        const result = await receiveData(this.#reader, length, out, {
          maxFrame: this.welcome.maxFrame,
          hasher: source,
          onProgress: (n) => options.onProgress?.({ done: ok.offset + n, total, start: ok.offset }),
        });
        if (!result.ok) {
          keepPart = result.error.code !== "CHECKSUM_MISMATCH";
          throw result.error;
        }
        // Verified: whatever goes wrong from here (a folder took the name,
        // say) leaves no part file behind.
        keepPart = false;
        await finishPart(part, dest, options.overwrite ?? false, options.sync ?? false);
        return {
          size: total,
          transferred: length,
          digest: result.digest,
          hash: this.hash,
          restarted,
        };
      } catch (e) {
        await part.discard(keepPart);
        throw e;
      } finally {
        job?.cancel();
      }
    });
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
    return this.#request(async () => {
      await this.#writer.send({ type: "GET", name, offset: 0 });
      const ok = await this.#next();
      if (ok?.type !== "GET_OK") throw unexpected(ok, "GET_OK");
      const result = await receiveData(this.#reader, ok.size, out, {
        maxFrame: this.welcome.maxFrame,
        hasher: await createHasher(this.hash),
        onProgress: (n) => options.onProgress?.({ done: n, total: ok.size, start: 0 }),
      });
      if (!result.ok && result.error.code === "CHECKSUM_MISMATCH") {
        throw new NetkitError(
          "CHECKSUM_MISMATCH",
          `${name}: checksum mismatch: the bytes already written are corrupt`,
        );
      }
      if (!result.ok) throw result.error;
      return { size: ok.size, transferred: ok.size, digest: result.digest, hash: this.hash };
    });
  }

  /**
   * Uploads the local file `path` as `name`, verified end to end. The file
   * appears on the server only once complete and verified.
   */
  upload(path: string, name: string, options: UploadOptions = {}): Promise<TransferResult> {
    return this.#request(async () => {
      const { file, info } = await openLocalFile(path);
      using _file = file;
      const size = info.size;
      // The part file a server keeps is tied to this version of the file.
      const version = options.resume && (this.welcome.features & Feature.RESUME_CHECK) !== 0
        ? info.mtime?.getTime() ?? 0
        : undefined;
      await this.#writer.send({
        type: "PUT",
        name,
        size,
        flags: (options.overwrite ? PutFlag.OVERWRITE : 0) |
          (options.resume ? PutFlag.RESUME : 0),
        version,
      });
      const ready = await this.#next();
      if (ready?.type !== "PUT_READY") throw unexpected(ready, "PUT_READY");
      const offset = ready.offset;
      if (offset > size || (offset > 0 && !options.resume)) {
        throw new NetkitError("BAD_FRAME", `server asked to resume at ${offset} of ${size}`);
      }
      let hasher: Hasher | null = null;
      let job: FileHashJob | null = null;
      if (size >= this.#offloadMin) {
        // Hashed on another core while this one sends.
        job = this.#pool.hashFile(path, this.hash, { final: size, expect: await file.stat() });
        if (offset > 0) await file.seek(offset, Deno.SeekMode.Start);
      } else {
        hasher = await createHasher(this.hash);
        if (offset > 0) await hashPrefix(file, offset, hasher);
      }
      using _cancel = { [Symbol.dispose]: () => job?.cancel() };
      // Watch for an early ERROR (a full disk, say) while sending.
      const stop = new AbortController();
      const answer = this.#next().then((m) => {
        stop.abort();
        return m;
      }, (e) => {
        stop.abort();
        throw e;
      });
      answer.catch(() => {});
      try {
        await sendData(file, size - offset, this.#writer, {
          chunk: this.welcome.maxFrame,
          hasher,
          signal: stop.signal,
          onProgress: (n) => options.onProgress?.({ done: offset + n, total: size, start: offset }),
        });
      } catch (e) {
        if (!stop.signal.aborted) {
          // A local read failure: tell the server to drop the upload.
          await this.#writer.send({ type: "ERROR", code: "INTERNAL", message: String(e) });
          await answer.catch(() => {});
          throw isNetkitError(e) ? e : new NetkitError("INTERNAL", `cannot read ${path}: ${e}`);
        }
      }
      if (stop.signal.aborted) {
        // The server answered early: end the transfer so the stream stays in step.
        const early = await answer;
        await this.#writer.send({ type: "END", digest: new Uint8Array(0) });
        throw unexpected(early, "PUT_OK");
      }
      const digest = job ? await job.finish(size) : hasher!.digest();
      job = null;
      await this.#writer.send({ type: "END", digest });
      const done: Message | Incoming | null = await answer;
      if (done?.type === "ERROR" && done.code === "CHECKSUM_MISMATCH" && offset > 0) {
        throw new NetkitError(
          "CHECKSUM_MISMATCH",
          `the ${offset} bytes the server kept of ${name} are not the start of ${path} ` +
            "(it changed since the broken upload); the server dropped them: run put again",
        );
      }
      if (done?.type !== "PUT_OK") throw unexpected(done, "PUT_OK");
      return { size, transferred: size - offset, digest, hash: this.hash };
    });
  }

  /**
   * Drops what the server kept of broken resumable uploads to `name`.
   *
   * @returns how many it dropped
   * @throws {NetkitError} `NOT_FOUND` when it kept none; `BUSY` when an
   *   upload is writing one now; `UNEXPECTED` for a server too old to cancel
   */
  cancelUpload(name: string): Promise<number> {
    return this.#request(async () => {
      if ((this.welcome.features & Feature.CANCEL) === 0) {
        throw new NetkitError("UNEXPECTED", "this server cannot cancel uploads");
      }
      await this.#writer.send({ type: "CANCEL", name });
      const m = await this.#next();
      if (m?.type !== "CANCEL_OK") throw unexpected(m, "CANCEL_OK");
      return m.removed;
    });
  }

  /** Says goodbye and closes the connection. */
  async quit(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#writer.send({ type: "QUIT" });
      await this.#next();
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
