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
 * Calls `handler` on every stop signal until the result is disposed.
 *
 * @example
 * ```ts ignore
 * using _stop = onShutdownSignal(() => server.close());
 * await server.finished;
 * ```
 */
export function onShutdownSignal(handler: () => void): Disposable {
  const signals = shutdownSignals();
  for (const s of signals) Deno.addSignalListener(s, handler);
  return {
    [Symbol.dispose]() {
      for (const s of signals) Deno.removeSignalListener(s, handler);
    },
  };
}
