/**
 * One `netkit http` server in the calling isolate: one `Deno.serve` (on a
 * port, or a unix socket), each answer recorded (`answer_record.ts`), and
 * a new `Deno.serve` on the same port when accepting fails for good (out of
 * file descriptors, say), until the server is shut down. A Worker of the
 * pool (`worker_pool.ts`) runs one of these too.
 *
 * @module
 */

import { AccessLog } from "./access_log.ts";
import { answerRecorder, HTTP_METHODS } from "./answer_record.ts";
import { DEFAULT_PORT, type HttpServerOptions } from "./options.ts";
import { createHttpHandler } from "./app.ts";
import { errorResponse } from "./error_status.ts";
import { formatHostPort } from "../core/net/net.ts";
import { hostCheck } from "./host_header.ts";
import type { ReloadDetail } from "../core/access/users.ts";
import { ServiceMetrics } from "../core/ops/service_metrics.ts";
import { claimSocketPath, SocketFile } from "../core/net/unix_socket.ts";
import { type HttpServerHandle, serverUrl } from "./server_handle.ts";

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

  const record = answerRecorder({ metrics, log, format, hot: handler.caches.hot });

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
      return res.then((r) => record(req, info, r, performance.now() - started));
    }
    // An answer ready at once (from memory) is counted without reading the
    // clock: it took microseconds, and a clock read is a noticeable share of
    // a small request's cost (docs/BENCHMARKS.md, "Metrics cost").
    return observed ? record(req, info, res, 0) : res;
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
    url: serverUrl(addr, tls),
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
