/**
 * The `workers` server model for `serve-files`: N Worker isolates, each with
 * its own accept loop on the same port through `reusePort` (a `Deno.Conn`
 * cannot be handed to a Worker, so each Worker accepts for itself). The
 * kernel spreads new connections across them; shared counters keep the
 * connection limit and the per-address limit; each Worker keeps its share of
 * the handshake cap (a Worker can close only its own connections); the
 * library's consistency comes from the file system, as it does across
 * processes.
 *
 * @module
 */

import { SharedSlots } from "./conn_slots.ts";
import { AddressCounts } from "./address_counts.ts";
import { FILE_REQUESTS, type FileServer } from "./file_server.ts";
import { Library } from "../core/library/library.ts";
import { type FileServerOptions, resolveFileServerOptions } from "./options.ts";
import type { MetricsSnapshot } from "../core/ops/metrics.ts";
import { ServiceMetrics } from "../core/ops/service_metrics.ts";
import { WorkerMetrics } from "../core/ops/worker_metrics.ts";

/** What the main thread tells a Worker. */
export type WorkerCommand =
  | {
    type: "start";
    options: Omit<FileServerOptions, "log">;
    quiet: boolean;
    slots: SharedArrayBuffer;
    addressCounts: SharedArrayBuffer;
  }
  | { type: "metrics" }
  | { type: "close" };

/** What a Worker tells the main thread. */
export type WorkerEvent =
  | { type: "ready"; port: number }
  | { type: "error"; message: string }
  | { type: "connectionclose" }
  | { type: "metrics"; snapshots: MetricsSnapshot[] }
  | { type: "finished" };

/** Options of {@linkcode startWorkersFileServer}. */
export interface WorkersFileServerOptions extends FileServerOptions {
  /** Number of Worker isolates. @default 2 */
  workers?: number;
}

const ENTRY = new URL("./file_server_worker.ts", import.meta.url);

/** Starts `workers` Workers serving one library on one port. */
export async function startWorkersFileServer(
  options: WorkersFileServerOptions = {},
): Promise<FileServer> {
  const { workers: count = 2, log, ...rest } = options;
  if (!Number.isInteger(count) || count < 1 || count > 256) {
    throw new RangeError(`workers must be from 1 to 256, got ${count}`);
  }
  const o = resolveFileServerOptions(rest);
  const library = await Library.open(o.root);
  await library.cleanTemps();
  const root = library.root;
  const slots = new SharedSlots(o.maxConnections);
  const addressCounts = new AddressCounts(o.maxPerAddress);
  const maxHandshakes = Math.ceil(o.maxHandshakes / count);
  const events = new EventTarget();
  const workers: Worker[] = [];
  const finishedEach: Promise<void>[] = [];
  const asked = new WorkerMetrics();

  const spawn = (port: number): Promise<number> => {
    const w = new Worker(ENTRY, { type: "module" });
    workers.push(w);
    let markFinished!: () => void;
    finishedEach.push(new Promise<void>((r) => markFinished = r));
    return new Promise<number>((resolve, reject) => {
      w.onmessage = (e: MessageEvent<WorkerEvent>) => {
        const m = e.data;
        if (m.type === "ready") resolve(m.port);
        else if (m.type === "error") reject(new Error(m.message));
        else if (m.type === "connectionclose") events.dispatchEvent(new Event("connectionclose"));
        else if (m.type === "metrics") asked.answered(w, m.snapshots);
        else if (m.type === "finished") markFinished();
      };
      w.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`worker failed: ${e.message}`));
        markFinished();
        asked.gone(w);
      };
      const cmd: WorkerCommand = {
        type: "start",
        options: { ...rest, root, port, maxHandshakes },
        quiet: log === null,
        slots: slots.buffer,
        addressCounts: addressCounts.buffer,
      };
      w.postMessage(cmd);
    });
  };

  try {
    // The first Worker picks the port (when 0 was asked); the others join it.
    const port = await spawn(o.port);
    await Promise.all(Array.from({ length: count - 1 }, () => spawn(port)));
    const finished = Promise.all(finishedEach).then(() => {
      workers.forEach((w) => w.terminate());
      asked.end();
    });
    let closing: Promise<void> | undefined;
    const close = () =>
      closing ??= (async () => {
        for (const w of workers) w.postMessage({ type: "close" } satisfies WorkerCommand);
        await finished;
      })();
    const own = o.metrics ? new ServiceMetrics("serve-files", FILE_REQUESTS) : null;
    own?.workers(count);
    const ask = (w: Worker) => asked.ask(w, { type: "metrics" } satisfies WorkerCommand);
    return {
      addr: { transport: "tcp", hostname: o.hostname, port },
      root,
      events,
      users: null, // each Worker follows the file itself
      get connections() {
        return slots.used;
      },
      get refusing() {
        if (closing) return "shutting down";
        return slots.used >= o.maxConnections
          ? `at the connection limit (${o.maxConnections})`
          : null;
      },
      async metrics() {
        if (!own) return [];
        const each = await Promise.all(workers.map(ask));
        return [own.snapshot(), ...each.flat()];
      },
      finished,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (e) {
    workers.forEach((w) => w.terminate());
    throw e;
  }
}
