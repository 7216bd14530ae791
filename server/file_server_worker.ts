/// <reference lib="deno.worker" />
/**
 * Worker entry of the `workers` server model: each Worker runs its own file
 * server with its own accept loop on the shared port (`reusePort`), so the
 * kernel spreads connections across Workers and cores. The connection limit
 * and the per-address limit are counters shared by all Workers.
 *
 * @module
 */

import { type FileServer, startFileServer } from "./file_server.ts";
import type { WorkerCommand, WorkerEvent } from "./file_workers.ts";

let server: FileServer | null = null;

function post(e: WorkerEvent): void {
  self.postMessage(e);
}

self.onmessage = async (e: MessageEvent<WorkerCommand>) => {
  const cmd = e.data;
  if (cmd.type === "close") {
    await server?.close();
    return;
  }
  if (cmd.type === "metrics") {
    post({ type: "metrics", snapshots: server ? await server.metrics() : [] });
    return;
  }
  try {
    server = await startFileServer({
      ...cmd.options,
      log: cmd.quiet ? null : (line) => console.error(line),
      model: "async",
      reusePort: true,
      sharedSlots: cmd.slots,
      sharedAddressCounts: cmd.addressCounts,
      cleanTemps: false,
    });
  } catch (err) {
    post({ type: "error", message: err instanceof Error ? err.message : String(err) });
    return;
  }
  server.events.addEventListener("connectionclose", () => post({ type: "connectionclose" }));
  post({ type: "ready", port: server.addr.port });
  await server.finished;
  post({ type: "finished" });
};
