/**
 * The signals that ask a netkit server to stop, in one place for every
 * subcommand: Ctrl+C (SIGINT) everywhere, SIGTERM where it exists.
 * `Deno.addSignalListener("SIGTERM", ...)` throws on Windows, which has
 * only SIGINT and SIGBREAK.
 *
 * @module
 */

/** The stop signals of `os`: SIGINT and SIGTERM, only SIGINT on Windows. */
export function shutdownSignals(os: typeof Deno.build.os = Deno.build.os): Deno.Signal[] {
  return os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
}

/**
 * Calls `handler` on every stop signal until the result is disposed, with
 * the number of stop signals so far (1 for the first), so a server can stop
 * gracefully on the first and at once on the second.
 *
 * @example
 * ```ts ignore
 * using _stop = onShutdownSignal((n) => n === 1 ? server.shutdown() : server.abort());
 * await server.finished;
 * ```
 */
export function onShutdownSignal(handler: (count: number) => void): Disposable {
  const signals = shutdownSignals();
  let count = 0;
  const listener = () => handler(++count);
  for (const s of signals) Deno.addSignalListener(s, listener);
  return {
    [Symbol.dispose]() {
      for (const s of signals) Deno.removeSignalListener(s, listener);
    },
  };
}

/**
 * Calls `handler` on every Ctrl+C (SIGINT) until the result is disposed.
 * While it is subscribed, Ctrl+C no longer ends the process: the prompt
 * uses it to cancel what it is doing.
 */
export function onInterrupt(handler: () => void): Disposable {
  Deno.addSignalListener("SIGINT", handler);
  return { [Symbol.dispose]: () => Deno.removeSignalListener("SIGINT", handler) };
}
