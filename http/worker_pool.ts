/**
 * `netkit http --workers N`: N Worker isolates, each running its own server
 * (`worker.ts`, `serve_in_process.ts`) on one port shared through
 * `reusePort`, so the kernel spreads connections across them. The pool
 * answers for all of them with one handle: shutdown and abort reach every
 * Worker, and metrics gather each one's.
 *
 * @module
 */

import { DEFAULT_PORT, type HttpServerOptions } from "./options.ts";
import { HTTP_METHODS } from "./answer_record.ts";
import { ServiceMetrics } from "../core/ops/service_metrics.ts";
import { WorkerMetrics } from "../core/ops/worker_metrics.ts";
import { type HttpServerHandle, serverUrl } from "./server_handle.ts";

/**
 * Starts `n` Worker isolates serving `options` on one port: the first binds
 * the port (possibly 0), and the others join it.
 */
export async function serveInWorkers(
  options: HttpServerOptions,
  n: number,
): Promise<HttpServerHandle> {
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
      url: serverUrl(addr, tls),
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
