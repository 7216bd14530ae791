/**
 * One client connection of the file service: the handshake (its frames in
 * `greeting.ts`, signing in in `session_access.ts`), then requests until the
 * client leaves, goes silent, or the server stops. Each request is checked
 * against the access rules, served by its module (LIST in `listing.ts`, GET
 * in `download.ts`, PUT and CANCEL in `upload.ts`; QUIT here), and logged. A
 * failed request gets a typed ERROR frame and the session goes on; a broken
 * protocol gets an ERROR and the connection closes. Nothing a client sends
 * can crash the server.
 *
 * @module
 */

import { type HashName, SUPPORTED_HASHES } from "../core/hash/hash.ts";
import { isNetkitError, NetkitError } from "../core/errors.ts";
import { anonymous, R, type Subject, W } from "../core/access/access_rules.ts";
import { TrackedConn } from "../core/net/tracked_conn.ts";
import { formatHostPort } from "../core/net/net.ts";
import { chooseHash } from "../protocol/file/hash_choice.ts";
import { FrameReader, FrameWriter, type Incoming } from "../protocol/file/frame_stream.ts";
import { errorMessage, PROTOCOL_VERSION } from "../protocol/file/messages.ts";
import { authenticate, permit, putNeeds } from "./session_access.ts";
import { expectHello, welcomeFrame } from "./greeting.ts";
import { serveList } from "./listing.ts";
import { serveGet } from "./download.ts";
import { serveCancel, servePut } from "./upload.ts";
import { isDisconnect, Reported } from "./request_failure.ts";
import { failureLine, requestLine } from "./request_log.ts";
import type { CutReason, SessionContext } from "./session_context.ts";

/** The client's address and port. */
function peerOf(conn: Deno.Conn): string {
  const a = conn.remoteAddr as Deno.NetAddr;
  return formatHostPort(a.hostname, a.port);
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
          bytes = await serveList(ctx, this.#subject, writer);
          break;
        case "GET":
          permit(ctx, this.#subject, m.name, R);
          bytes = await serveGet(m, ctx, writer, hash, moved);
          break;
        case "PUT":
          permit(ctx, this.#subject, m.name, putNeeds(ctx, m));
          bytes = await servePut(m, ctx, this.#reader, writer, hash, moved);
          break;
        case "CANCEL":
          // Dropping one's own broken upload is part of uploading.
          permit(ctx, this.#subject, m.name, W);
          await writer.send({ type: "CANCEL_OK", removed: await serveCancel(m.name, ctx) });
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
