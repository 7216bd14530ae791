/**
 * Starting and stopping `netkit http`: one `Deno.serve` in this isolate, or
 * N Worker isolates each serving the same port through `reusePort`. Both
 * give the same handle: the bound address, a graceful `shutdown()` (requests
 * in flight finish, new connections are refused), an abrupt `abort()`, and
 * `await using` support.
 *
 * @module
 */

import { AccessLog, formatCombined } from "./access_log.ts";
import { DEFAULT_PORT, type HttpServerOptions } from "./options.ts";
import { createHttpHandler } from "./app.ts";
import { errorResponse } from "./error_status.ts";
import { formatHostPort } from "../core/net.ts";
import { hostCheck } from "./host_header.ts";
import type { ReloadDetail, UserFile } from "../core/users.ts";

/** A running server. */
export interface HttpServerHandle extends AsyncDisposable {
  /** The bound address (the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** `http://host:port/` or `https://...`. */
  readonly url: string;
  /** The accounts of `--users` (in this isolate only: null with Workers). */
  readonly users: UserFile | null;
  /** Settles when every listener has closed. */
  readonly finished: Promise<void>;
  /** Stops accepting, lets requests in flight finish; safe twice. */
  shutdown(): Promise<void>;
  /**
   * Closes everything at once; safe twice. Once `shutdown()` has begun this
   * does nothing for a single-isolate server (Deno cannot abort a server
   * that is shutting down): end the process instead.
   */
  abort(): void;
}

function urlOf(addr: Deno.NetAddr, tls: boolean): string {
  return `${tls ? "https" : "http"}://${formatHostPort(addr.hostname, addr.port)}/`;
}

function contentLength(res: Response): number | null {
  if (res.body === null) return null;
  const v = res.headers.get("content-length");
  return v === null ? null : Number(v);
}

/**
 * Serves `options` with one `Deno.serve` in the calling isolate.
 * Automatic compression is off: netkit decides compression itself.
 */
export async function serveInProcess(
  options: HttpServerOptions,
  reusePort = false,
): Promise<HttpServerHandle> {
  const handler = await createHttpHandler(options);
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
  const tls = options.cert !== undefined && options.key !== undefined;

  const done = (
    req: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
    res: Response,
  ): Response => {
    const url = req.url;
    const slash = url.indexOf("/", url.indexOf("//") + 2);
    log!.log(formatCombined(
      info.remoteAddr.hostname,
      Date.now(),
      req.method,
      slash < 0 ? "/" : url.slice(slash),
      res.status,
      contentLength(res),
      req.headers.get("referer"),
      req.headers.get("user-agent"),
    ));
    return res;
  };

  // Set once listening (no request comes before): the port is known then.
  let missingHost: ((req: Request) => Response | null) | null = null;
  const serve = (
    req: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ): Response | Promise<Response> => {
    let res: Response | Promise<Response>;
    try {
      res = missingHost?.(req) ?? handler.handle(req, info);
    } catch (e) {
      res = errorResponse(e);
    }
    if (res instanceof Promise) {
      res = res.catch(errorResponse);
      return log ? res.then((r) => done(req, info, r)) : res;
    }
    return log ? done(req, info, res) : res;
  };

  // One Deno.serve at a time. Deno.serve stops accepting for good when an
  // accept fails (no file descriptor left, say, when one host holds them
  // all): then its idle and unfinished connections are closed (requests in
  // flight finish), and a new one takes the port, rather than the process exit.
  let server!: Deno.HttpServer<Deno.NetAddr>;
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
  const listen = (port: number): Promise<Deno.NetAddr> => {
    const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
    ac = new AbortController();
    const s = Deno.serve({
      hostname: options.hostname ?? "127.0.0.1",
      port,
      reusePort,
      signal: ac.signal,
      automaticCompression: false,
      ...(tls ? { cert: options.cert!, key: options.key! } : {}),
      onListen: (a) => {
        missingHost = hostCheck(a.port, tls);
        resolve(a);
      },
      onError: errorResponse,
    }, serve);
    server = s;
    closed = false;
    const ended = () => {
      if (server === s) closed = true;
    };
    s.finished.then(ended, ended);
    return promise;
  };
  const addr = await listen(options.port ?? DEFAULT_PORT);
  const where = formatHostPort(addr.hostname, addr.port);
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
          await listen(addr.port);
          console.error(`netkit http: listening again on ${where}`);
          break;
        } catch (e) {
          console.error(`netkit http: cannot listen again on ${where}: ${(e as Error).message}`);
        }
      }
    }
  })().finally(async () => {
    handler.close();
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
      else if (typeof e.data?.port === "number") resolve(e.data.port);
      else reject(new Error(e.data?.error ?? "worker failed to start"));
    };
    w.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
      setGone();
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
      setFinished();
    };
    let closing: Promise<void> | null = null;
    return {
      addr,
      url: urlOf(addr, tls),
      users: null,
      finished,
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
