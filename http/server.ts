/**
 * Starting and stopping `netkit http`: one `Deno.serve` in this isolate, or
 * N Worker isolates each serving the same port through `reusePort`. Both
 * give the same handle: the bound address, a graceful `shutdown()` (requests
 * in flight finish, new connections are refused), an abrupt `abort()`, and
 * `await using` support.
 *
 * @module
 */

import { accessLine, AccessLog, basicUser } from "./access_log.ts";
import { DEFAULT_PORT, type HttpServerOptions } from "./options.ts";
import { createHttpHandler } from "./app.ts";
import { errorResponse } from "./error_status.ts";
import { formatHostPort } from "../core/net.ts";
import { hostCheck } from "./host_header.ts";
import type { ReloadDetail, UserFile } from "../core/users.ts";
import type { MetricsSnapshot } from "../core/metrics.ts";
import { type Refusal, ServiceMetrics } from "../core/service_metrics.ts";
import { claimSocketPath, SocketFile } from "../core/unix_socket.ts";
import { WorkerMetrics } from "../core/worker_metrics.ts";

/** The methods counted by name; any other counts as OTHER. */
export const HTTP_METHODS: readonly string[] = [
  "GET",
  "HEAD",
  "PUT",
  "PATCH",
  "POST",
  "DELETE",
  "OPTIONS",
  "MKCOL",
  "PROPFIND",
  "PROPPATCH",
  "COPY",
  "MOVE",
  "LOCK",
  "UNLOCK",
];

/** Statuses counted as a request turned away, by reason. */
const REFUSALS: Record<number, Refusal> = { 401: "auth", 413: "limit", 429: "limit", 503: "busy" };

/** A running server. */
export interface HttpServerHandle extends AsyncDisposable {
  /** The bound address (the real port when 0 was asked for), or the unix socket. */
  readonly addr: Deno.NetAddr | Deno.UnixAddr;
  /** `http://host:port/` or `https://...`; `http+unix://` and the path for a socket. */
  readonly url: string;
  /** The accounts of `--users` (in this isolate only: null with Workers). */
  readonly users: UserFile | null;
  /** Settles when every listener has closed. */
  readonly finished: Promise<void>;
  /** Why the server would turn requests away now (shutting down), or null. */
  readonly refusing: string | null;
  /** The metrics of every isolate serving (none unless `metrics` is on). */
  metrics(): Promise<MetricsSnapshot[]>;
  /** Stops accepting, lets requests in flight finish; safe twice. */
  shutdown(): Promise<void>;
  /**
   * Closes everything at once; safe twice. Once `shutdown()` has begun this
   * does nothing for a single-isolate server (Deno cannot abort a server
   * that is shutting down): end the process instead.
   */
  abort(): void;
}

function urlOf(addr: Deno.NetAddr | Deno.UnixAddr, tls: boolean): string {
  if ("path" in addr) return `http+unix://${encodeURIComponent(addr.path)}/`;
  return `${tls ? "https" : "http"}://${formatHostPort(addr.hostname, addr.port)}/`;
}

/**
 * The length of the body `res` will send, when it says (never `res.body`:
 * reading it would turn a body held in memory into a stream, which
 * `Deno.serve` sends on a much slower path). Reading the headers costs a
 * little too: answers from the hot path tell their length instead.
 */
function declaredLength(req: Request, res: Response): number | null {
  if (req.method === "HEAD") return null;
  const v = res.headers.get("content-length");
  return v === null ? null : Number(v);
}

/** The request target as sent: path and query. */
function targetOf(url: string): string {
  const slash = url.indexOf("/", url.indexOf("//") + 2);
  return slash < 0 ? "/" : url.slice(slash);
}

/** The client's address: "-" behind a unix socket (the proxy's peer is not known). */
function hostOf(info: Deno.ServeHandlerInfo<Deno.Addr>): string {
  const a = info.remoteAddr;
  return a.transport === "tcp" || a.transport === "udp" ? a.hostname : "-";
}

/** `res` with its body counted into `metrics` as it streams (a body of unknown length). */
function countedBody(res: Response, metrics: ServiceMetrics): Response {
  const counted = res.body!.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        metrics.sent(chunk.length);
        out.enqueue(chunk);
      },
    }),
  );
  return new Response(counted, res);
}

/**
 * Serves `options` with one `Deno.serve` in the calling isolate.
 * Automatic compression is off: netkit decides compression itself.
 */
export async function serveInProcess(
  options: HttpServerOptions,
  reusePort = false,
): Promise<HttpServerHandle> {
  const metrics = options.metrics ? new ServiceMetrics("http", HTTP_METHODS) : null;
  const handler = await createHttpHandler(options, metrics);
  const log = options.quiet ? null : new AccessLog(Deno.stderr);
  handler.users?.addEventListener("reload", (e) => {
    const d = (e as CustomEvent<ReloadDetail>).detail;
    if (options.quiet) return;
    console.error(
      d.ok
        ? `netkit http: ${handler.users!.path}: ${d.users} accounts`
        : `netkit http: ${d.error}; the accounts read before stay`,
    );
  });
  const format = options.logFormat ?? "clf";
  const tls = options.cert !== undefined && options.key !== undefined;
  if (metrics) {
    metrics.cache("hot", handler.caches.hot);
    metrics.cache("file", handler.caches.file);
  }

  const done = (
    req: Request,
    info: Deno.ServeHandlerInfo<Deno.Addr>,
    res: Response,
    ms: number,
  ): Response => {
    const hot = handler.caches.hot;
    const bytes = res === hot.lastAnswer
      ? (req.method === "HEAD" ? null : hot.lastLength)
      : declaredLength(req, res);
    if (metrics) {
      const status = res.status;
      metrics.open(-1);
      metrics.request(req.method, String(status), ms / 1000);
      const refusal = REFUSALS[status];
      if (refusal) metrics.refused(refusal);
      if (bytes !== null) metrics.sent(bytes);
      else if (req.method !== "HEAD" && res.body !== null) res = countedBody(res, metrics);
    }
    log?.log(accessLine(format, {
      host: hostOf(info),
      time: Date.now(),
      method: req.method,
      target: targetOf(req.url),
      status: res.status,
      bytes,
      referer: req.headers.get("referer"),
      userAgent: req.headers.get("user-agent"),
      user: basicUser(req.headers.get("authorization")),
      ms,
    }));
    return res;
  };

  // Set once listening (no request comes before): the port is known then.
  let missingHost: ((req: Request) => Response | null) | null = null;
  const serve = (
    req: Request,
    info: Deno.ServeHandlerInfo<Deno.Addr>,
  ): Response | Promise<Response> => {
    const observed = log !== null || metrics !== null;
    metrics?.open(1);
    let res: Response | Promise<Response>;
    try {
      res = missingHost?.(req) ?? handler.handle(req, info as Deno.ServeHandlerInfo<Deno.NetAddr>);
    } catch (e) {
      res = errorResponse(e);
    }
    if (res instanceof Promise) {
      res = res.catch(errorResponse);
      if (!observed) return res;
      const started = performance.now();
      return res.then((r) => done(req, info, r, performance.now() - started));
    }
    // An answer ready at once (from memory) is counted without reading the
    // clock: it took microseconds, and a clock read is a noticeable share of
    // a small request's cost (docs/BENCHMARKS.md, "Metrics cost").
    return observed ? done(req, info, res, 0) : res;
  };

  // One Deno.serve at a time. Deno.serve stops accepting for good when an
  // accept fails (no file descriptor left, say, when one host holds them
  // all): then its idle and unfinished connections are closed (requests in
  // flight finish), and a new one takes the port, rather than the process exit.
  let server!: Deno.HttpServer<Deno.Addr>;
  let ac!: AbortController;
  // Deno 2.9.6: aborting the signal once shutdown() has begun (or the server
  // has closed) throws BadResource from inside the abort listener, where no
  // caller can catch it. So abort only a server that is neither.
  let closed = false;
  let stopping = false;
  let wake = () => {};
  const stop = () => {
    stopping = true;
    wake();
  };
  const listen = async (port: number): Promise<Deno.NetAddr | Deno.UnixAddr> => {
    const { promise, resolve } = Promise.withResolvers<Deno.NetAddr | Deno.UnixAddr>();
    ac = new AbortController();
    const common = { signal: ac.signal, onError: errorResponse };
    let s: Deno.HttpServer<Deno.Addr>;
    if (options.socket !== undefined) {
      await claimSocketPath(options.socket);
      s = Deno.serve(
        { ...common, transport: "unix", path: options.socket, onListen: resolve },
        serve,
      );
    } else {
      s = Deno.serve({
        ...common,
        hostname: options.hostname ?? "127.0.0.1",
        port,
        reusePort,
        automaticCompression: false,
        ...(tls ? { cert: options.cert!, key: options.key! } : {}),
        onListen: (a) => {
          missingHost = hostCheck(a.port, tls);
          resolve(a);
        },
      }, serve);
    }
    server = s;
    closed = false;
    const ended = () => {
      if (server === s) closed = true;
    };
    s.finished.then(ended, ended);
    return promise;
  };
  const addr = await listen(options.port ?? DEFAULT_PORT);
  const socketFile = "path" in addr
    ? await SocketFile.bound(addr.path, options.socketMode).catch((e) => {
      ac.abort();
      throw e;
    })
    : null;
  const where = "path" in addr ? addr.path : formatHostPort(addr.hostname, addr.port);
  const finished = (async () => {
    let pause = 100;
    while (true) {
      const since = performance.now();
      try {
        return await server.finished;
      } catch (e) {
        if (stopping) return;
        if (performance.now() - since > 10_000) pause = 100;
        server.shutdown().catch(() => {}); // frees the descriptors idle connections hold
        console.error(
          `netkit http: accepting failed (${(e as Error).message.replace(/^Error: /, "")}): ` +
            `idle and unfinished connections closed; listening again in ${pause} ms`,
        );
      }
      while (true) {
        await new Promise<void>((r) => {
          const timer = setTimeout(r, pause);
          wake = () => {
            clearTimeout(timer);
            r();
          };
        });
        pause = Math.min(pause * 2, 5000);
        if (stopping) return;
        try {
          await listen("port" in addr ? addr.port : 0);
          console.error(`netkit http: listening again on ${where}`);
          break;
        } catch (e) {
          console.error(`netkit http: cannot listen again on ${where}: ${(e as Error).message}`);
        }
      }
    }
  })().finally(async () => {
    handler.close();
    await socketFile?.remove();
    await log?.flush();
  });
  let closing: Promise<void> | null = null;
  const abort = () => {
    stop();
    if (!closed && closing === null) ac.abort();
  };
  return {
    addr,
    url: urlOf(addr, tls),
    users: handler.users,
    finished,
    get refusing() {
      return closing !== null || closed ? "shutting down" : null;
    },
    metrics: () => Promise.resolve(metrics ? [metrics.snapshot()] : []),
    shutdown() {
      stop();
      closing ??= (closed ? Promise.resolve() : server.shutdown()).then(() => finished);
      return closing;
    },
    abort,
    async [Symbol.asyncDispose]() {
      abort();
      await finished;
    },
  };
}

/**
 * Starts `netkit http`: in this isolate for one worker, else in `workers`
 * Worker isolates sharing one port with `reusePort` (the first binds the
 * port, possibly 0, and the others join it).
 */
export async function startHttpServer(
  options: HttpServerOptions,
): Promise<HttpServerHandle> {
  const n = options.workers ?? 1;
  if (n <= 1) return await serveInProcess(options);
  const workers: Worker[] = [];
  const closed: Promise<void>[] = [];
  const asked = new WorkerMetrics();
  const startOne = async (port: number): Promise<number> => {
    const w = new Worker(new URL("./worker.ts", import.meta.url), {
      type: "module",
    });
    workers.push(w);
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    const { promise: gone, resolve: setGone } = Promise.withResolvers<void>();
    closed.push(gone);
    w.onmessage = (e) => {
      if (e.data === "closed") setGone();
      else if (Array.isArray(e.data?.metrics)) asked.answered(w, e.data.metrics);
      else if (typeof e.data?.port === "number") resolve(e.data.port);
      else reject(new Error(e.data?.error ?? "worker failed to start"));
    };
    w.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
      setGone();
      asked.gone(w);
    };
    // Functions (a test's clock) do not cross to a Worker.
    w.postMessage({ options: { ...options, port, workers: 1, clock: undefined } });
    return await promise;
  };
  try {
    const port = await startOne(options.port ?? DEFAULT_PORT);
    await Promise.all(Array.from({ length: n - 1 }, () => startOne(port)));
    const tls = options.cert !== undefined && options.key !== undefined;
    const addr: Deno.NetAddr = {
      transport: "tcp",
      hostname: options.hostname ?? "127.0.0.1",
      port,
    };
    const { promise: finished, resolve: setFinished } = Promise.withResolvers<
      void
    >();
    const terminate = () => {
      for (const w of workers) w.terminate();
      asked.end();
      setFinished();
    };
    let closing: Promise<void> | null = null;
    const own = options.metrics ? new ServiceMetrics("http", HTTP_METHODS) : null;
    own?.workers(n);
    return {
      addr,
      url: urlOf(addr, tls),
      users: null,
      finished,
      get refusing() {
        return closing !== null ? "shutting down" : null;
      },
      async metrics() {
        if (!own) return [];
        const each = await Promise.all(workers.map((w) => asked.ask(w, "metrics")));
        return [own.snapshot(), ...each.flat()];
      },
      shutdown() {
        closing ??= (async () => {
          for (const w of workers) w.postMessage("shutdown");
          await Promise.all(closed);
          terminate();
        })();
        return closing;
      },
      abort: terminate,
      async [Symbol.asyncDispose]() {
        terminate();
        await finished;
      },
    };
  } catch (e) {
    for (const w of workers) w.terminate();
    throw e;
  }
}
