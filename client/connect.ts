/**
 * Opening a connection to a file server: dial TCP or TLS, say HELLO with
 * the hashes and credentials to offer, and read the server's WELCOME. Every
 * failure becomes one clear `NetkitError` naming the address.
 *
 * @module
 */

import { type HashName, isHashName, SUPPORTED_HASHES } from "../core/hash/hash.ts";
import { isNetkitError, NetkitError } from "../core/errors.ts";
import { DEFAULT_MAX_FRAME } from "../protocol/file/frame.ts";
import { FrameReader, FrameWriter } from "../protocol/file/frame_stream.ts";
import { ALPN, PROTOCOL_VERSION, type Welcome } from "../protocol/file/messages.ts";
import { TrackedConn } from "../core/net/tracked_conn.ts";
import { formatHostPort } from "../core/net/net.ts";
import { unexpected } from "./channel.ts";

/** Options of `FileClient.connect`. */
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

/** A connection the server has welcomed. */
export interface Greeted {
  conn: TrackedConn;
  /** Reads frames up to the server's announced limit. */
  reader: FrameReader;
  writer: FrameWriter;
  welcome: Welcome;
  /** The `timeoutMs` in force. */
  timeoutMs: number;
}

/**
 * Connects and performs the handshake, within `timeoutMs` and until
 * `signal` aborts.
 *
 * @throws {NetkitError} `CLOSED` (refused, TLS or handshake failed), `TIMEOUT`,
 *   or the server's refusal (a bad token, say)
 */
export async function connectAndGreet(options: ConnectOptions = {}): Promise<Greeted> {
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
    const reader = new FrameReader(tracked, DEFAULT_MAX_FRAME);
    await writer.send({
      type: "HELLO",
      version: PROTOCOL_VERSION,
      hashes: options.hashes ?? [...SUPPORTED_HASHES],
      token: new TextEncoder().encode(options.token ?? ""),
      client: "netkit-client",
      user: options.user,
    });
    const m = await reader.next();
    if (m?.type !== "WELCOME") throw unexpected(m, "WELCOME");
    if (!isHashName(m.hash)) {
      throw new NetkitError("UNEXPECTED", `server chose an unknown hash: ${m.hash}`);
    }
    // DATA frames may be as large as the server's announced limit.
    reader.setMaxFrame(Math.max(DEFAULT_MAX_FRAME, m.maxFrame));
    return { conn: tracked, reader, writer, welcome: m, timeoutMs };
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
