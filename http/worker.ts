/**
 * Worker entry of the `--workers N` model: each Worker isolate runs its own
 * `Deno.serve` on the shared port with `reusePort`, and the kernel spreads
 * connections across them. The parent sends `{ options }` to start and
 * `"shutdown"` to stop; the Worker answers `{ port }` once listening,
 * `{ error }` if it cannot start, and `"closed"` when done.
 *
 * @module
 */

import type { HttpServerOptions } from "./options.ts";
import { serveInProcess } from "./server.ts";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(msg: unknown): void;
  close(): void;
};

let stop: (() => Promise<void>) | null = null;

scope.onmessage = async (e: MessageEvent) => {
  if (e.data === "shutdown") {
    await stop?.();
    scope.postMessage("closed");
    return;
  }
  try {
    const options = (e.data as { options: HttpServerOptions }).options;
    const server = await serveInProcess(options, true);
    stop = () => server.shutdown();
    scope.postMessage({ port: server.addr.port });
  } catch (err) {
    scope.postMessage({
      error: err instanceof Error ? err.message : String(err),
    });
  }
};
