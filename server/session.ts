/**
 * One client connection of the file service: the handshake, then requests
 * (LIST, GET, PUT, QUIT) until the client leaves, goes silent, or the server
 * stops. A failed request gets a typed ERROR frame and the session goes on;
 * a broken protocol gets an ERROR and the connection closes. Nothing a client
 * sends can crash the server.
 *
 * @module
 */

import { createHasher, type Hasher, type HashName, SUPPORTED_HASHES } from "../core/hash.ts";
import { chooseHash } from "../protocol/file/hash_choice.ts";
import { isNetkitError, NetkitError } from "../core/errors.ts";
import { transferBuffers } from "../protocol/file/buffer_pool.ts";
import { FrameType, HEADER_SIZE, writeHeader } from "../protocol/file/frame.ts";
import { FrameReader, FrameWriter, type Incoming } from "../protocol/file/frame_stream.ts";
import {
  encodeMessage,
  errorMessage,
  Feature,
  type Get,
  type Hello,
  type ListEntry,
  type Message,
  PROTOCOL_VERSION,
  type Put,
  PutFlag,
} from "../protocol/file/messages.ts";
import { type AccessRules, anonymous, R, type Subject, W } from "../core/access_rules.ts";
import { authenticate, permit, putNeeds } from "./session_access.ts";
import type { SignIn } from "../core/sign_in.ts";
import { digestKey } from "./digest_cache.ts";
import {
  type ChunkWriter,
  type FileHashJob,
  followWrites,
  type HashPool,
} from "../core/hash_pool.ts";
import type { FileStore } from "./file_store.ts";
import type { Handshakes } from "./handshakes.ts";
import { offloadHash, type ResolvedFileServerOptions } from "./options.ts";
import { TrackedConn } from "../core/tracked_conn.ts";
import {
  type DigestSource,
  hashPrefix,
  receiveData,
  sendData,
} from "../protocol/file/data_path.ts";
import { readFullSync } from "../core/disk_io.ts";
import { formatHostPort } from "../core/net.ts";
import { failureLine, requestLine } from "./request_log.ts";
import type { ServiceMetrics, UploadResult } from "../core/service_metrics.ts";

/** Files up to this size are answered in a single write. */
const SMALL_FILE_BYTES = 256 * 1024;
/** Room for an END frame with the longest digest offered (SHA-256). */
const END_MAX_BYTES = encodeMessage({ type: "END", digest: new Uint8Array(32) }).length;

/** Bytes of listing entries per LIST_ENTRIES frame, well under any frame limit. */
const LIST_BATCH_BYTES = 60_000;

/**
 * Why a request was cut short, as its log line says: the idle watchdog
 * closed the connection, the server was shutting down, or the client went.
 */
export type CutReason = "timeout" | "shutdown" | "disconnected";

/** A failure the peer was already told about: logged, not sent again. */
class Reported extends Error {
  constructor(readonly inner: { code: string; message: string }) {
    super(inner.message);
  }
}

/** Everything a session needs from its server. */
export interface SessionContext {
  store: FileStore;
  options: ResolvedFileServerOptions;
  /** Writes one log line; null when the log is off (lines are then not even made). */
  log: ((line: string) => void) | null;
  /** The credential check (token, users), shared by the server's sessions. */
  signIn: SignIn;
  /** Who may read, write and replace which names. */
  rules: AccessRules;
  /** Hashes large transfers on another core. */
  hashPool: HashPool;
  /**
   * The server's live sessions: its idle watchdog and its shutdown sweep over
   * them, so a session needs no timer and no abort listener of its own.
   */
  sessions: Set<Session>;
  /** The server's connections still in their handshake; a session leaves it once welcomed. */
  handshakes: Handshakes;
  /** Where requests, bytes and uploads are counted; null when metrics are off. */
  metrics: ServiceMetrics | null;
}

/** The client's address and port. */
function peerOf(conn: Deno.Conn): string {
  const a = conn.remoteAddr as Deno.NetAddr;
  return formatHostPort(a.hostname, a.port);
}

function isDisconnect(e: unknown): boolean {
  return isNetkitError(e, "CLOSED") ||
    e instanceof Deno.errors.BadResource ||
    e instanceof Deno.errors.ConnectionReset ||
    e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.Interrupted ||
    e instanceof Deno.errors.ConnectionAborted;
}

/**
 * One client connection of the file service: its frame reader's byte source
 * and its writer's sink, remembering when it last moved a byte (for the
 * server's idle watchdog) and whether a request is being served (for the
 * shutdown sweep).
 *
 * Between requests a session keeps a single pending `read` on its
 * connection, into the frame reader's small look-ahead buffer, and nothing
 * else: no timer, no listener, no further promise. An idle connection costs
 * this object, its reader and writer, and one suspended `run`.
 */
export class Session extends TrackedConn {
  /** True while a request is being served; the shutdown sweep spares it. */
  busy = false;
  /** `performance.now()` when the connection was accepted (for the handshake deadline). */
  readonly startedAt: number = this.lastActive;
  /** True once the HELLO has arrived (the handshake deadline then no longer applies). */
  heard = false;
  readonly #ctx: SessionContext;
  readonly #reader: FrameReader;
  readonly #writer: FrameWriter;
  /** The hash agreed in the handshake; null until then. */
  #hash: HashName | null = null;
  /** Who signed in, in the handshake. */
  #subject: Subject = anonymous();
  /** Why the server closed the connection, for the log line of a request it cut. */
  #closedBy: CutReason | null = null;

  /**
   * @param conn the accepted connection (a TLS one is handshaken in `run`)
   * @param ctx what the server shares with its sessions
   */
  constructor(conn: Deno.Conn, ctx: SessionContext) {
    super(conn);
    this.#ctx = ctx;
    this.#reader = new FrameReader(this, ctx.options.maxFrame);
    this.#writer = new FrameWriter(this);
  }

  /**
   * Closes the connection; `reason` says why the server did it (the idle
   * watchdog, the shutdown), so a request cut by it is logged as such.
   */
  override close(reason?: CutReason): void {
    this.#closedBy ??= reason ?? null;
    super.close();
  }

  /**
   * Serves the connection until the client leaves, goes silent (the
   * watchdog closes it), or the server stops: `stopping` is checked between
   * requests, and the server's shutdown sweep closes sessions that are not
   * `busy`. Resolves once the session is over; never rejects for anything
   * the client does.
   */
  async run(stopping: AbortSignal): Promise<void> {
    // This frame stays suspended for the whole connection: keep it small,
    // and leave the work of a request to the calls it makes.
    const ctx = this.#ctx;
    const conn = this.conn;
    const reader = this.#reader;
    ctx.sessions.add(this);
    try {
      if ("handshake" in conn) {
        // A client that fails the TLS handshake only ends its own connection.
        try {
          await (conn as Deno.TlsConn).handshake();
        } catch {
          return;
        }
      } else if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      while (!stopping.aborted) {
        // Idle (and before HELLO): one read pending straight on the connection
        // for the next frame's first bytes; this function is the only one suspended.
        const idle = reader.idleBuffer();
        if (idle) {
          const n = await conn.read(idle);
          this.lastActive = performance.now();
          if (!reader.received(n)) return;
        }
        if (!(await this.#frame(stopping))) return;
      }
    } catch (e) {
      await this.#fail(e);
    } finally {
      ctx.sessions.delete(this);
      ctx.handshakes.done(this);
    }
  }

  /**
   * Reads the frame that has begun to arrive and acts on it: the HELLO
   * first, then requests. Its variables end with it, so an idle session
   * holds no message.
   *
   * @returns false when the session is over
   */
  async #frame(stopping: AbortSignal): Promise<boolean> {
    const m = await this.#reader.next();
    if (m === null) return false;
    if (this.#hash !== null) return await this.#request(m, this.#hash, stopping);
    const hello = expectHello(m);
    this.heard = true;
    const ctx = this.#ctx;
    this.#subject = await authenticate(hello, this.conn, ctx, stopping);
    const hash = chooseHash(hello.hashes, SUPPORTED_HASHES);
    const welcome = welcomeFrame(ctx, Math.min(hello.version, PROTOCOL_VERSION), hash);
    this.#hash = hash;
    ctx.handshakes.done(this);
    await this.#writer.sendEncoded(welcome);
    return true;
  }

  /**
   * Serves one request and logs it. A failed request is answered with an
   * ERROR frame.
   *
   * @returns false when the session must end (QUIT, or a broken protocol)
   * @throws a disconnect, or an error that is not a {@linkcode NetkitError}
   */
  async #request(m: Incoming, hash: HashName, stopping: AbortSignal): Promise<boolean> {
    const ctx = this.#ctx;
    const writer = this.#writer;
    // Timed by the connection's own clock, which every read and write sets:
    // from the request's arrival to its last byte written, with no clock read.
    const started = this.lastActive;
    // Bytes moved, kept up to date so a cut transfer logs how far it came.
    const moved = { bytes: 0 };
    let bytes = 0;
    let status = "ok";
    this.busy = true;
    try {
      switch (m.type) {
        case "LIST":
          bytes = await list(ctx, this.#subject, writer);
          break;
        case "GET":
          permit(ctx, this.#subject, m.name, R);
          bytes = await get(m, ctx, writer, hash, moved);
          break;
        case "PUT":
          permit(ctx, this.#subject, m.name, putNeeds(ctx, m));
          bytes = await put(m, ctx, this.#reader, writer, hash, moved);
          break;
        case "CANCEL":
          // Dropping one's own broken upload is part of uploading.
          permit(ctx, this.#subject, m.name, W);
          await writer.send({ type: "CANCEL_OK", removed: await cancel(m.name, ctx) });
          break;
        case "QUIT":
          await writer.send({ type: "BYE" });
          return false;
        default:
          throw new NetkitError("BAD_FRAME", `unexpected ${m.type} frame`);
      }
    } catch (e) {
      if (e instanceof Reported) {
        status = e.inner.code;
        return true;
      }
      if (!isNetkitError(e) || isDisconnect(e)) {
        // Cut: say by what, and how far it came.
        status = isDisconnect(e)
          ? this.#closedBy ?? (stopping.aborted ? "shutdown" : "disconnected")
          : "INTERNAL";
        bytes = moved.bytes;
        throw e;
      }
      status = e.code;
      await writer.send(errorMessage(e));
      if (e.code === "BAD_FRAME") return false;
    } finally {
      this.busy = false;
      const ms = this.lastActive - started;
      if (ctx.metrics) {
        ctx.metrics.request(m.type, status, ms / 1000);
        if (m.type === "GET") ctx.metrics.sent(bytes);
        else if (m.type === "PUT") ctx.metrics.received(bytes);
      }
      ctx.log?.(
        requestLine(
          ctx.options.logFormat,
          peerOf(this.conn),
          this.#subject.user,
          m,
          bytes,
          ms,
          status,
        ),
      );
    }
    return true;
  }

  /** Ends the session after `e`: a disconnect quietly, anything else logged and sent as ERROR. */
  async #fail(e: unknown): Promise<void> {
    if (isDisconnect(e)) return;
    const ctx = this.#ctx;
    const err = isNetkitError(e) ? e : new NetkitError("INTERNAL", "internal server error");
    const what = isNetkitError(e) ? err.message : `internal error: ${e}`;
    ctx.log?.(failureLine(ctx.options.logFormat, peerOf(this.conn), err.code, what));
    if (isNetkitError(e, "UNAUTHORIZED")) ctx.metrics?.refused("auth");
    try {
      await this.#writer.send(errorMessage(err));
    } catch { /* the peer is gone */ }
  }
}

/** Checks that the client's first frame is a HELLO of a version this server speaks. */
function expectHello(m: Incoming): Hello {
  if (m.type !== "HELLO") throw new NetkitError("BAD_FRAME", "expected HELLO");
  if (m.version < 1) {
    throw new NetkitError(
      "UNSUPPORTED_VERSION",
      `protocol version ${m.version} is not supported`,
    );
  }
  return m;
}

/** WELCOME frames already encoded, per server, by version and hash. */
const welcomes = new WeakMap<SessionContext, Map<string, Uint8Array>>();

/**
 * The WELCOME frame for `version` and `hash`, encoded once per server:
 * every handshake would otherwise build the same bytes again.
 */
function welcomeFrame(ctx: SessionContext, version: number, hash: HashName): Uint8Array {
  let known = welcomes.get(ctx);
  if (!known) welcomes.set(ctx, known = new Map());
  const key = `${version} ${hash}`;
  let frame = known.get(key);
  if (!frame) {
    const { options, signIn } = ctx;
    let features = Feature.LIST | Feature.GET | Feature.GET_RESUME | Feature.RESUME_CHECK;
    features |= options.readOnly
      ? Feature.READ_ONLY
      : Feature.PUT | Feature.PUT_RESUME | Feature.CANCEL;
    if (options.tls) features |= Feature.TLS;
    if (signIn.configured) features |= Feature.AUTH;
    if (options.users !== null) features |= Feature.USERS;
    frame = encodeMessage({
      type: "WELCOME",
      version,
      features,
      maxFrame: options.maxFrame,
      maxUpload: options.maxUpload,
      idleTimeoutMs: options.idleTimeoutMs,
      hash,
      server: "netkit",
    });
    known.set(key, frame);
  }
  return frame;
}

async function list(ctx: SessionContext, subject: Subject, writer: FrameWriter): Promise<number> {
  const entries = (await ctx.store.list()).filter((e) => ctx.rules.can(subject, [e.name], R));
  let batch: ListEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    batch.push(e);
    bytes += e.name.length * 3 + 18;
    if (bytes >= LIST_BATCH_BYTES) {
      await writer.send({ type: "LIST_ENTRIES", last: false, entries: batch });
      batch = [];
      bytes = 0;
    }
  }
  await writer.send({ type: "LIST_ENTRIES", last: true, entries: batch });
  return entries.length;
}

async function get(
  m: Get,
  ctx: SessionContext,
  writer: FrameWriter,
  hash: HashName,
  moved: { bytes: number },
): Promise<number> {
  const { store } = ctx;
  if (m.offset === 0) {
    const hit = store.cachedReply(m.name, hash);
    if (hit !== null) {
      await writer.sendEncoded(hit.reply);
      return hit.size;
    }
  }
  const { file, info, real } = store.openRead(m.name);
  let job: FileHashJob | null = null;
  try {
    // A resume of another version of the file starts over (If-Range).
    const v = m.ifVersion;
    if (v && (v.size !== info.size || v.mtimeMs !== (info.mtime?.getTime() ?? 0))) {
      m = { ...m, offset: 0 };
    }
    if (m.offset > info.size) {
      throw new NetkitError(
        "BAD_OFFSET",
        `offset ${m.offset} is past the end (${info.size} bytes)`,
      );
    }
    const key = digestKey(info, hash);
    const known = store.digests.get(key);
    let hasher: Hasher | null = null;
    if (!known && offloadHash(ctx.options, info.size, hash)) {
      // A large file is hashed on another core while this one sends it.
      job = ctx.hashPool.hashFile(real, hash, { final: info.size, expect: info });
    } else if (!known) {
      hasher = await createHasher(hash);
      if (m.offset > 0) await hashPrefix(file, m.offset, hasher);
    }
    if (m.offset > 0 && !hasher) await file.seek(m.offset, Deno.SeekMode.Start);
    const ok: Message = {
      type: "GET_OK",
      size: info.size,
      offset: m.offset,
      mtimeMs: info.mtime?.getTime() ?? 0,
    };
    const length = info.size - m.offset;
    if (!job && length <= SMALL_FILE_BYTES) {
      // A small file goes out as GET_OK, DATA and END in one write, read
      // straight into that one buffer (a local read of this size takes
      // microseconds; an async op would cost more than the copy).
      const head = encodeMessage(ok);
      const out = transferBuffers.take(head.length + HEADER_SIZE + length + END_MAX_BYTES);
      out.set(head);
      writeHeader(out, FrameType.DATA, length, head.length);
      const dataAt = head.length + HEADER_SIZE;
      const data = out.subarray(dataAt, dataAt + length);
      if (readFullSync(file, data) < length) {
        throw new NetkitError("SIZE_MISMATCH", "file shrank while being sent");
      }
      hasher?.update(data);
      const digest = known ?? hasher!.digest();
      store.digests.set(key, digest);
      const end = encodeMessage({ type: "END", digest });
      out.set(end, dataAt + length);
      const reply = out.subarray(0, dataAt + length + end.length);
      await writer.sendEncoded(reply);
      if (m.offset === 0) store.keepReply(m.name, real, hash, info, reply);
      transferBuffers.give(out); // written: nothing holds it any more
      return length;
    }
    await writer.send(ok);
    try {
      await sendData(file, length, writer, {
        chunk: ctx.options.maxFrame,
        hasher,
        onProgress: (n) => moved.bytes = n,
      });
    } catch (e) {
      // Mid-stream failures (a file that shrank, a read error) become an ERROR frame in place of END.
      if (isNetkitError(e) || isDisconnect(e)) throw e;
      throw new NetkitError("INTERNAL", `read failed: ${(e as Error).message}`);
    }
    const digest = known ??
      (job
        ? await job.finish(info.size).catch(() => hashAgain(file, info.size, hash))
        : hasher!.digest());
    job = null;
    store.digests.set(key, digest);
    await writer.send({ type: "END", digest });
    return length;
  } finally {
    job?.cancel();
    file.close();
  }
}

/**
 * The digest of the open `file`, read again from its start: when the hash
 * Worker, which opens the file by name, found another version there (the
 * file was replaced after it was opened here, on this host or another).
 */
async function hashAgain(file: Deno.FsFile, size: number, hash: HashName): Promise<Uint8Array> {
  const hasher = await createHasher(hash);
  await file.seek(0, Deno.SeekMode.Start);
  await hashPrefix(file, size, hasher);
  return hasher.digest();
}

async function put(
  m: Put,
  ctx: SessionContext,
  reader: FrameReader,
  writer: FrameWriter,
  hash: HashName,
  moved: { bytes: number },
): Promise<number> {
  let outcome: UploadResult = "refused";
  try {
    const bytes = await receiveUpload(m, ctx, reader, writer, hash, (o) => outcome = o, moved);
    outcome = "verified";
    return bytes;
  } finally {
    ctx.metrics?.upload(outcome);
  }
}

/** Serves a PUT; `stage` hears when the data begins and when it fails its check. */
async function receiveUpload(
  m: Put,
  ctx: SessionContext,
  reader: FrameReader,
  writer: FrameWriter,
  hash: HashName,
  stage: (outcome: UploadResult) => void,
  moved: { bytes: number },
): Promise<number> {
  const { store, options } = ctx;
  if (options.readOnly) {
    throw new NetkitError("READ_ONLY", "this library is read-only");
  }
  if (m.size > options.maxUpload) {
    throw new NetkitError(
      "TOO_LARGE",
      `upload of ${m.size} bytes exceeds the limit of ${options.maxUpload}`,
    );
  }
  const overwrite = (m.flags & PutFlag.OVERWRITE) !== 0;
  const resume = (m.flags & PutFlag.RESUME) !== 0;
  await using upload = await store.createUpload(
    m.name,
    overwrite,
    resume ? m.size : null,
    m.version,
  );
  let out: ChunkWriter = upload;
  let source: DigestSource;
  let job: FileHashJob | null = null;
  if (offloadHash(options, m.size, hash)) {
    // Hashed on another core, following the temp file as it is written.
    job = ctx.hashPool.hashFile(upload.tempPath, hash, { ready: upload.offset });
    ({ out, source } = followWrites(job, upload.offset, m.size, upload));
  } else {
    const hasher = await createHasher(hash);
    if (upload.offset > 0) await hashPrefix(upload.file, upload.offset, hasher);
    source = hasher;
  }
  if (job && upload.offset > 0) await upload.file.seek(upload.offset, Deno.SeekMode.Start);
  await writer.send({ type: "PUT_READY", offset: upload.offset });
  stage("abandoned");
  let result;
  try {
    result = await receiveData(reader, m.size - upload.offset, out, {
      maxFrame: options.maxFrame,
      hasher: source,
      onProgress: (n) => moved.bytes = n,
      // The temp file goes before the client hears of the failure, so what
      // it sees next (a listing, say) never holds half an upload.
      onWriteError: async (e) => {
        await upload.abort();
        await writer.send(errorMessage(e));
      },
    });
  } finally {
    job?.cancel();
  }
  if (!result.ok) {
    // Corrupt bytes must not be resumed from: drop the part file too.
    if (result.error.code === "CHECKSUM_MISMATCH") {
      stage("checksum_mismatch");
      await upload.abort(true);
    }
    throw result.reported ? new Reported(result.error) : result.error;
  }
  // Keyed by the published file itself: its name may already lead to
  // another host's upload.
  const published = await upload.commit(overwrite);
  store.digests.set(digestKey(published, hash), result.digest);
  await writer.send({ type: "PUT_OK", size: m.size, digest: result.digest });
  return m.size - upload.offset;
}

/** Drops what the server kept of broken resumable uploads to `name`. */
async function cancel(name: string, ctx: SessionContext): Promise<number> {
  if (ctx.options.readOnly) throw new NetkitError("READ_ONLY", "this library is read-only");
  return await ctx.store.library.cancelUpload([ctx.store.check(name)]);
}
