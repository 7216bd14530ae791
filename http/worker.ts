/**
 * Worker entry of the `--workers N` model: each Worker isolate runs its own
 * `Deno.serve` on the shared port with `reusePort`, and the kernel spreads
 * connections across them. The parent sends `{ options }` to start and
 * `"shutdown"` to stop, `"metrics"` for its counts; the Worker answers
 * `{ port }` once listening, `{ error }` if it cannot start, `{ metrics }`,
 * and `"closed"` when done.
 *
 * @module
 */

import type { HttpServerOptions } from "./options.ts";
import type { HttpServerHandle } from "./server_handle.ts";
import { serveInProcess } from "./serve_in_process.ts";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(msg: unknown): void;
  close(): void;
};

let server: HttpServerHandle | null = null;

scope.onmessage = async (e: MessageEvent) => {
  if (e.data === "shutdown") {
    await server?.shutdown();
    scope.postMessage("closed");
    return;
  }
  if (e.data === "metrics") {
    scope.postMessage({ metrics: server ? await server.metrics() : [] });
    return;
  }
  try {
    const options = (e.data as { options: HttpServerOptions }).options;
    server = await serveInProcess(options, true);
    scope.postMessage({ port: (server.addr as Deno.NetAddr).port });
  } catch (err) {
    scope.postMessage({
      error: err instanceof Error ? err.message : String(err),
    });
  }
};
