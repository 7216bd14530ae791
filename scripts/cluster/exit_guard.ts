/**
 * A guard that removes a test cluster once the process that made it ends,
 * however it ends (a failed assertion, an uncaught error, SIGKILL): a
 * process in a session of its own that waits for the end of a pipe from
 * its maker, then runs `scripts/cluster.ts down`. The maker dismisses it
 * after removing the cluster itself.
 *
 * @module
 */

/** The script whose `down` the exit guard runs. */
const CLUSTER_SCRIPT = new URL("../cluster.ts", import.meta.url).pathname;

/** The process that removes a cluster once this process ends; see `removeOnExit`. */
export interface ExitGuard {
  pid: number;
  /** The pipe the guard waits on: open while this process lives. */
  pipe: WritableStream<Uint8Array>;
}

/** Starts the guard of cluster `name`. */
export function startExitGuard(name: string): ExitGuard {
  const child = new Deno.Command("setsid", {
    args: [
      "sh",
      "-c",
      'cat >/dev/null; exec "$0" run -A "$1" down --name "$2" >/dev/null 2>&1',
      Deno.execPath(),
      CLUSTER_SCRIPT,
      name,
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  child.status.then(() => {}, () => {});
  return { pid: child.pid, pipe: child.stdin };
}

/** Stops the exit guard (its work is done) and closes its pipe. */
export async function dismissGuard(guard: ExitGuard | null): Promise<void> {
  if (guard === null) return;
  try {
    Deno.kill(guard.pid, "SIGKILL");
  } catch { /* gone already */ }
  await guard.pipe.close().catch(() => {});
}
