/**
 * Starting `netkit http`: one server in this isolate
 * (`serve_in_process.ts`), or a pool of Worker isolates sharing the port
 * (`worker_pool.ts`). Both give the same handle (`server_handle.ts`).
 *
 * @module
 */

import type { HttpServerOptions } from "./options.ts";
import type { HttpServerHandle } from "./server_handle.ts";
import { serveInProcess } from "./serve_in_process.ts";
import { serveInWorkers } from "./worker_pool.ts";

export type { HttpServerHandle };

/** Starts `netkit http`: in this isolate for one worker, else in a pool of `workers` Workers. */
export async function startHttpServer(
  options: HttpServerOptions,
): Promise<HttpServerHandle> {
  const n = options.workers ?? 1;
  if (n <= 1) return await serveInProcess(options);
  return await serveInWorkers(options, n);
}
