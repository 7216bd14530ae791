/**
 * One client connection of the file service: the handshake, then requests
 * (LIST, GET, PUT, QUIT) until the client leaves, goes silent, or the server
 * stops. A failed request gets a typed ERROR frame and the session goes on;
 * a broken protocol gets an ERROR and the connection closes. Nothing a client
 * sends can crash the server.
 *
 * @module
 */

import {
  chooseHash,
  createHasher,
  type DigestSource,
  type Hasher,
  type HashName,
} from "../protocol/digest.ts";
import { isNetkitError, NetkitError } from "../protocol/errors.ts";
import { FrameType, HEADER_SIZE, writeHeader } from "../protocol/frame.ts";
import { FrameReader, FrameWriter } from "../protocol/frame_stream.ts";
import {
  encodeMessage,
  errorMessage,
  Feature,
  type Get,
  type ListEntry,
  type Message,
  PROTOCOL_VERSION,
  type Put,
  PutFlag,
} from "../protocol/messages.ts";
import type { AuthThrottle, TokenCheck } from "./auth.ts";
import { digestKey } from "./digest_cache.ts";
import { type ChunkWriter, type FileHashJob, followWrites, type HashPool } from "./file_hasher.ts";
import type { FileStore } from "./file_store.ts";
import { offloadHash, type ResolvedFileServerOptions } from "./options.ts";
import type { TrackedConn } from "./tracked_conn.ts";
import { hashPrefix, readFullSync, receiveData, sendData } from "../protocol/transfer.ts";

/** Files up to this size are answered in a single write. */
const SMALL_FILE_BYTES = 256 * 1024;
/** Room for an END frame with the longest digest offered (SHA-256). */
const END_MAX_BYTES = encodeMessage({ type: "END", digest: new Uint8Array(32) }).length;

/** Bytes of listing entries per LIST_ENTRIES frame, well under any frame limit. */
const LIST_BATCH_BYTES = 60_000;

/** A failure the peer was already told about: logged, not sent again. */
class Reported extends Error {
  constructor(readonly inner: NetkitError) {
    super(inner.message);
  }
}

/** Everything a session needs from its server. */
export interface SessionContext {
  store: FileStore;
  options: ResolvedFileServerOptions;
  /** Writes one log line (already muted when quiet). */
  log: (line: string) => void;
  /** Token check and failure throttle, when the server requires a token. */
  auth: { check: TokenCheck; throttle: AuthThrottle } | null;
  /** Hashes large transfers on another core. */
  hashPool: HashPool;
}

function peerOf(conn: Deno.Conn): string {
  const a = conn.remoteAddr as Deno.NetAddr;
  return a.hostname?.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}

function isDisconnect(e: unknown): boolean {
  return isNetkitError(e, "CLOSED") ||
    e instanceof Deno.errors.BadResource ||
    e instanceof Deno.errors.ConnectionReset ||
    e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.Interrupted ||
    e instanceof Deno.errors.ConnectionAborted;
}

/** Serves one connection until it ends. */
export async function runSession(
  tracked: TrackedConn,
  ctx: SessionContext,
  stopping: AbortSignal,
): Promise<void> {
  const { options, store } = ctx;
  const peer = peerOf(tracked.conn);
  const reader = new FrameReader(tracked, options.maxFrame);
  const writer = new FrameWriter(tracked);
  let busy = false;
  const onStop = () => {
    if (!busy) tracked.close();
  };
  stopping.addEventListener("abort", onStop);
  try {
    const hash = await handshake(reader, writer, ctx, tracked.conn, stopping);
    while (!stopping.aborted) {
      const m = await reader.next();
      if (m === null) return;
      busy = true;
      const started = performance.now();
      let what: string = m.type;
      let bytes = 0;
      let status = "ok";
      try {
        switch (m.type) {
          case "LIST":
            bytes = await list(store, writer);
            break;
          case "GET":
            what = `GET ${JSON.stringify(m.name)}${m.offset ? ` @${m.offset}` : ""}`;
            bytes = await get(m, ctx, writer, hash);
            break;
          case "PUT":
            what = `PUT ${JSON.stringify(m.name)} ${m.size}`;
            bytes = await put(m, ctx, reader, writer, hash);
            break;
          case "QUIT":
            await writer.send({ type: "BYE" });
            return;
          default:
            throw new NetkitError("BAD_FRAME", `unexpected ${m.type} frame`);
        }
      } catch (e) {
        if (e instanceof Reported) {
          status = e.inner.code;
          continue;
        }
        if (!isNetkitError(e) || isDisconnect(e)) throw e;
        status = e.code;
        await writer.send(errorMessage(e));
        if (e.code === "BAD_FRAME") return;
      } finally {
        busy = false;
        const ms = (performance.now() - started).toFixed(1);
        ctx.log(
          `${new Date().toISOString()} ${peer} ${what} ${bytes}B ${ms}ms ${status}`,
        );
      }
    }
  } catch (e) {
    if (isDisconnect(e)) return;
    const err = isNetkitError(e) ? e : new NetkitError("INTERNAL", "internal server error");
    if (!isNetkitError(e)) {
      ctx.log(`${new Date().toISOString()} ${peer} internal error: ${e}`);
    } else {ctx.log(
        `${new Date().toISOString()} ${peer} ${err.code}: ${err.message}`,
      );}
    try {
      await writer.send(errorMessage(err));
    } catch { /* the peer is gone */ }
  } finally {
    stopping.removeEventListener("abort", onStop);
  }
}

async function handshake(
  reader: FrameReader,
  writer: FrameWriter,
  ctx: SessionContext,
  conn: Deno.Conn,
  stopping: AbortSignal,
): Promise<HashName> {
  const { options, auth } = ctx;
  const hello = await reader.next();
  if (hello === null) throw new NetkitError("CLOSED", "closed before HELLO");
  if (hello.type !== "HELLO") throw new NetkitError("BAD_FRAME", "expected HELLO");
  if (hello.version < 1) {
    throw new NetkitError(
      "UNSUPPORTED_VERSION",
      `protocol version ${hello.version} is not supported`,
    );
  }
  if (auth) {
    const address = (conn.remoteAddr as Deno.NetAddr).hostname;
    const delay = auth.throttle.delayFor(address);
    if (delay > 0) await pause(delay, stopping);
    if (!auth.check.matches(hello.token)) {
      auth.throttle.fail(address);
      throw new NetkitError(
        "UNAUTHORIZED",
        hello.token.length ? "wrong token" : "this server requires a token",
      );
    }
    auth.throttle.succeed(address);
  }
  const hash = chooseHash(hello.hashes);
  let features = Feature.LIST | Feature.GET | Feature.GET_RESUME;
  features |= options.readOnly ? Feature.READ_ONLY : Feature.PUT | Feature.PUT_RESUME;
  if (options.tls) features |= Feature.TLS;
  if (auth) features |= Feature.AUTH;
  await writer.send({
    type: "WELCOME",
    version: Math.min(hello.version, PROTOCOL_VERSION),
    features,
    maxFrame: options.maxFrame,
    maxUpload: options.maxUpload,
    idleTimeoutMs: options.idleTimeoutMs,
    hash,
    server: "netkit",
  });
  return hash;
}

/** Waits `ms`, or less when the server stops. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

async function list(store: FileStore, writer: FrameWriter): Promise<number> {
  const entries = await store.list();
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
): Promise<number> {
  const { store } = ctx;
  const { file, info, real } = store.openRead(m.name);
  let job: FileHashJob | null = null;
  try {
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
      const out = new Uint8Array(head.length + HEADER_SIZE + length + END_MAX_BYTES);
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
      await writer.sendEncoded(out.subarray(0, dataAt + length + end.length));
      return length;
    }
    await writer.send(ok);
    try {
      await sendData(file, length, writer, { chunk: ctx.options.maxFrame, hasher });
    } catch (e) {
      // Mid-stream failures (a file that shrank, a read error) become an ERROR frame in place of END.
      if (isNetkitError(e) || isDisconnect(e)) throw e;
      throw new NetkitError("INTERNAL", `read failed: ${(e as Error).message}`);
    }
    const digest = known ?? (job ? await job.finish(info.size) : hasher!.digest());
    job = null;
    store.digests.set(key, digest);
    await writer.send({ type: "END", digest });
    return length;
  } finally {
    job?.cancel();
    file.close();
  }
}

async function put(
  m: Put,
  ctx: SessionContext,
  reader: FrameReader,
  writer: FrameWriter,
  hash: HashName,
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
  await using upload = await store.createUpload(m.name, overwrite, resume ? m.size : null);
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
  let result;
  try {
    result = await receiveData(reader, m.size - upload.offset, out, {
      maxFrame: options.maxFrame,
      hasher: source,
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
    if (result.error.code === "CHECKSUM_MISMATCH") await upload.abort(true);
    throw result.reported ? new Reported(result.error) : result.error;
  }
  await upload.commit(overwrite);
  try {
    const info = await Deno.stat(upload.finalPath);
    store.digests.set(digestKey(info, hash), result.digest);
  } catch { /* replaced or removed already: nothing to remember */ }
  await writer.send({ type: "PUT_OK", size: m.size, digest: result.digest });
  return m.size - upload.offset;
}
