/**
 * The `serve-files` server: a TCP listener, the shared accept loop, one
 * session per connection, the connection policy (a limit per address, a
 * deadline and a cap for handshakes), an idle watchdog, and graceful
 * shutdown.
 *
 * @module
 */

import { ALPN, encodeMessage } from "../protocol/file/messages.ts";
import { writeAll } from "../protocol/file/frame_stream.ts";
import type { AuthThrottleOptions } from "../core/access/auth_throttle.ts";
import { SignIn } from "../core/access/sign_in.ts";
import { UserFile } from "../core/access/users.ts";
import { SharedSlots } from "./conn_slots.ts";
import { AddressCounts } from "./address_counts.ts";
import { Handshakes } from "./handshakes.ts";
import { addressKey, isLoopback } from "../core/net/net.ts";
import { HashPool } from "../core/hash/hash_pool.ts";
import { FileStore } from "./file_store.ts";
import { type AcceptLoop, type ServerModel, startAcceptLoop } from "./listen.ts";
import { fileRulesOf, type FileServerOptions, resolveFileServerOptions } from "./options.ts";
import { Session } from "./session.ts";
import type { LiveSession, SessionContext } from "./session_context.ts";
import type { ReloadDetail } from "../core/access/users.ts";
import { ServiceMetrics } from "../core/ops/service_metrics.ts";
import type { MetricsSnapshot } from "../core/ops/metrics.ts";

/** The requests the file service counts; anything else counts as OTHER. */
export const FILE_REQUESTS: readonly string[] = ["LIST", "GET", "PUT", "CANCEL", "QUIT"];

/** Options of {@linkcode startFileServer}: the server options plus its model. */
export interface StartFileServerOptions extends FileServerOptions {
  /** How connections are served (the workers model lives in `workers.ts`). @default "async" */
  model?: ServerModel;
  /** Share the port with other listeners (one per Worker). @default false */
  reusePort?: boolean;
  /** A connection counter shared with other Workers, for one common limit. @default none */
  sharedSlots?: SharedArrayBuffer;
  /** Per-address counts shared with other Workers, for one common limit. @default none */
  sharedAddressCounts?: SharedArrayBuffer;
  /** Remove temp files of dead uploads at start. @default true */
  cleanTemps?: boolean;
  /**
   * Listeners on the port, each with its own accept queue (`reusePort`,
   * Linux), all served by this one event loop: Deno's listen backlog is fixed
   * at 511, so a burst of connections overflows one queue. Opt-in, because a
   * port shared this way would also admit another server started on it by
   * mistake. Not with the loop model. @default 1
   */
  acceptQueues?: number;
  /** How sign-in attempts are paced. @default see {@linkcode AuthThrottleOptions} */
  authThrottle?: AuthThrottleOptions;
}

/** A running file server. */
export interface FileServer extends AsyncDisposable {
  /** The address it listens on (with the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** The library folder's canonical path. */
  readonly root: string;
  /** Connections open now. */
  readonly connections: number;
  /** Fires a `"connectionclose"` event each time a client connection has ended. */
  readonly events: EventTarget;
  /** The accounts of `users`, when given (tests wait for its reloads). */
  readonly users: UserFile | null;
  /**
   * Why the server would turn new clients away now (shutting down, at its
   * connection limit), or null while it takes them.
   */
  readonly refusing: string | null;
  /** The metrics of every isolate serving (none unless `metrics` is on). */
  metrics(): Promise<MetricsSnapshot[]>;
  /** Resolves when the server has stopped. */
  readonly finished: Promise<void>;
  /**
   * Stops accepting, lets transfers in flight finish within the shutdown
   * grace, then closes everything. Safe to call more than once.
   */
  close(): Promise<void>;
}

/**
 * Starts a file server. The library folder must exist; leftover temp files
 * of dead uploads in it are removed first.
 */
export async function startFileServer(
  options: StartFileServerOptions = {},
): Promise<FileServer> {
  const o = resolveFileServerOptions(options);
  const store = await FileStore.open(o.root, { hidden: o.hidden });
  if (options.cleanTemps ?? true) await store.library.cleanTemps();
  const log = o.log;
  const rules = fileRulesOf(o);
  const users = o.users === null ? null : await UserFile.open(o.users);
  users?.addEventListener("reload", (e) => {
    const d = (e as CustomEvent<ReloadDetail>).detail;
    log?.(d.ok ? `${o.users}: ${d.users} accounts` : `${d.error}; the accounts read before stay`);
  });
  const signIn = await SignIn.open({ token: o.token, users, throttle: options.authThrottle });
  const hashPool = new HashPool(1).acquire();
  const sessions = new Set<LiveSession>();
  const handshakes = new Handshakes(o.maxHandshakes, o.handshakeTimeoutMs);
  const metrics = o.metrics ? new ServiceMetrics("serve-files", FILE_REQUESTS) : null;
  const ctx: SessionContext = {
    store,
    options: o,
    log,
    signIn,
    rules,
    hashPool,
    sessions,
    handshakes,
    metrics,
  };
  const queues = options.acceptQueues ?? 1;
  if (!Number.isInteger(queues) || queues < 1 || queues > 64) {
    throw new RangeError(`acceptQueues must be from 1 to 64, got ${queues}`);
  }
  if (queues > 1 && options.model === "loop") {
    throw new RangeError("acceptQueues above 1 would let the loop model serve several clients");
  }
  const reusePort = (options.reusePort ?? false) || queues > 1;
  const listen = (port: number): Deno.Listener =>
    o.tls
      ? Deno.listenTls({
        hostname: o.hostname,
        port,
        cert: o.tls.cert,
        key: o.tls.key,
        alpnProtocols: [ALPN],
        reusePort,
      })
      : Deno.listen({ hostname: o.hostname, port, reusePort });
  const listeners = [listen(o.port)];
  const port = (listeners[0].addr as Deno.NetAddr).port;
  try {
    while (listeners.length < queues) listeners.push(listen(port));
  } catch (e) {
    listeners.forEach((l) => l.close());
    throw e;
  }
  const events = new EventTarget();

  const busyFrame = encodeMessage({
    type: "ERROR",
    code: "BUSY",
    message: `server busy: ${o.maxConnections} connections already`,
  });
  const addressBusyFrame = encodeMessage({
    type: "ERROR",
    code: "BUSY",
    message: `server busy: ${o.maxPerAddress} connections from your address already`,
  });
  const perAddress = o.maxPerAddress > 0
    ? new AddressCounts(o.maxPerAddress, options.sharedAddressCounts)
    : null;
  let refused = 0;
  const handler = (conn: Deno.Conn, stopping: AbortSignal): Promise<void> => {
    const host = (conn.remoteAddr as Deno.NetAddr).hostname;
    const key = perAddress && (o.limitLoopback || !isLoopback(host)) ? addressKey(host) : null;
    metrics?.accepted();
    if (key !== null && !perAddress!.tryAcquire(key)) {
      refused++;
      metrics?.refused("limit");
      return writeAll(conn, addressBusyFrame).catch(() => {});
    }
    const session = new Session(conn, ctx);
    handshakes.add(session);
    const run = session.run(stopping);
    return key === null ? run : run.finally(() => perAddress!.release(key));
  };
  // On shutdown, sessions waiting for a request end now; busy ones finish theirs first.
  const stopIdle = () => {
    sessions.forEach((s) => {
      if (!s.busy) s.close("shutdown");
    });
  };
  const slots = new SharedSlots(o.maxConnections, options.sharedSlots);
  if (metrics) {
    metrics.openFrom(() => loop.active);
    metrics.cache("reply", store.replies);
    metrics.cache("digest", store.digests);
  }
  const loops: AcceptLoop[] = listeners.map((l) =>
    startAcceptLoop(l, handler, {
      model: options.model ?? "async",
      slots,
      onBusy: (conn) => {
        metrics?.refused("busy");
        return writeAll(conn, busyFrame);
      },
      // Every slot taken: a connection still in its handshake makes room.
      onFull: () => handshakes.evictOldest(),
      onError: (e) => log?.(`${new Date().toISOString()} accept error: ${e}`),
      onClosed: () => events.dispatchEvent(new Event("connectionclose")),
      onStop: stopIdle,
    })
  );
  const loop = {
    get active() {
      return loops.reduce((n, l) => n + l.active, 0);
    },
    stopping: false,
    finished: Promise.all(loops.map((l) => l.finished)).then(() => {}),
    close: (graceMs: number) => Promise.all(loops.map((l) => l.close(graceMs))).then(() => {}),
  };

  // One timer for all connections: drop handshakes past their deadline and
  // connections silent for longer than the idle timeout; say what the
  // connection policy closed or refused, at most once a tick.
  const tick = Math.min(1000, Math.max(50, Math.min(o.idleTimeoutMs, o.handshakeTimeoutMs) / 4));
  const watchdog = setInterval(() => {
    const now = performance.now();
    handshakes.expire(now);
    const { late, evicted } = handshakes.takeStats();
    if (late + evicted + refused > 0) {
      log?.(
        `${new Date().toISOString()} connections closed: ${late} past the handshake deadline, ` +
          `${evicted} still in their handshake to make room, ${refused} over the per-address limit`,
      );
      refused = 0;
    }
    const since = now - o.idleTimeoutMs;
    // forEach, not for-of: no iterator result per session on every tick.
    sessions.forEach((s) => {
      if (s.lastActive < since) s.close("timeout");
    });
  }, tick);

  // Once every connection has ended: stop the watchdog and the hash Workers.
  const finished = loop.finished.finally(() => {
    clearInterval(watchdog);
    hashPool.release();
    signIn.close();
    users?.close();
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      loop.stopping = true;
      await loop.close(o.shutdownGraceMs);
      await finished;
    })();

  return {
    addr: listeners[0].addr as Deno.NetAddr,
    root: store.root,
    events,
    users,
    get connections() {
      return loop.active;
    },
    get refusing() {
      if (loop.stopping) return "shutting down";
      return slots.used >= o.maxConnections
        ? `at the connection limit (${o.maxConnections})`
        : null;
    },
    metrics: () => Promise.resolve(metrics ? [metrics.snapshot()] : []),
    finished,
    close,
    [Symbol.asyncDispose]: close,
  };
}
