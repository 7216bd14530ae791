/**
 * The `serve-files` server: a TCP listener, the shared accept loop, one
 * session per connection, an idle watchdog, and graceful shutdown.
 *
 * @module
 */

import { ALPN, encodeMessage } from "../protocol/file/messages.ts";
import { writeAll } from "../protocol/file/frame_stream.ts";
import { AuthThrottle, type AuthThrottleOptions, TokenCheck } from "../core/auth.ts";
import { SharedSlots } from "./conn_slots.ts";
import { HashPool } from "../core/hash_pool.ts";
import { FileStore } from "./file_store.ts";
import { type AcceptLoop, type ServerModel, startAcceptLoop } from "./listen.ts";
import { type FileServerOptions, resolveFileServerOptions } from "./options.ts";
import { Session, type SessionContext } from "./session.ts";
import { ServiceMetrics } from "../core/service_metrics.ts";
import type { MetricsSnapshot } from "../core/metrics.ts";

/** The requests the file service counts; anything else counts as OTHER. */
export const FILE_REQUESTS: readonly string[] = ["LIST", "GET", "PUT", "QUIT"];

/** Options of {@linkcode startFileServer}: the server options plus its model. */
export interface StartFileServerOptions extends FileServerOptions {
  /** How connections are served (the workers model lives in `workers.ts`). @default "async" */
  model?: ServerModel;
  /** Share the port with other listeners (one per Worker). @default false */
  reusePort?: boolean;
  /** A connection counter shared with other Workers, for one common limit. @default none */
  sharedSlots?: SharedArrayBuffer;
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
  /** How wrong tokens are slowed down. @default 3 free failures, then 250 ms doubling to 8 s */
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
  const auth = o.token === null
    ? null
    : { check: new TokenCheck(o.token), throttle: new AuthThrottle(options.authThrottle) };
  const hashPool = new HashPool(1).acquire();
  const sessions = new Set<Session>();
  const metrics = o.metrics ? new ServiceMetrics("serve-files", FILE_REQUESTS) : null;
  const ctx: SessionContext = { store, options: o, log, auth, hashPool, sessions, metrics };
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
  const handler = (conn: Deno.Conn, stopping: AbortSignal) => {
    metrics?.accepted();
    return new Session(conn, ctx).run(stopping);
  };
  // On shutdown, sessions waiting for a request end now; busy ones finish theirs first.
  const stopIdle = () => {
    sessions.forEach((s) => {
      if (!s.busy) s.close();
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

  // One timer for all connections: drop those silent for longer than the idle timeout.
  const tick = Math.min(1000, Math.max(50, o.idleTimeoutMs / 4));
  const watchdog = setInterval(() => {
    const since = performance.now() - o.idleTimeoutMs;
    // forEach, not for-of: no iterator result per session on every tick.
    sessions.forEach((s) => {
      if (s.lastActive < since) s.close();
    });
  }, tick);

  // Once every connection has ended: stop the watchdog and the hash Workers.
  const finished = loop.finished.finally(() => {
    clearInterval(watchdog);
    hashPool.release();
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
