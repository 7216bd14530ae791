/**
 * Helpers of the tests that drive real peers (Prometheus, nginx, tftpd-hpa):
 * whether a peer is installed, a free port to give it, and starting it.
 *
 * @module
 */

export { freePort } from "../scripts/bench/proc.ts";

/** True when the program at `path` is installed (a Debian package's binary). */
export function installed(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Resolves after `ms`: the step of a bounded wait for a peer that gives no event. */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A peer program a test started, stopped by its PID (SIGTERM) on dispose. */
export interface Peer extends AsyncDisposable {
  /** The process. */
  child: Deno.ChildProcess;
}

/** How {@linkcode startPeer} knows the peer serves. */
export interface PeerReady {
  /** Whether it serves yet (asked until it says yes). */
  ready: () => Promise<boolean>;
  /** How many times to ask before giving up. */
  tries: number;
  /** The pause between two asks, ms. */
  pauseMs: number;
}

/**
 * Starts `program args` and waits until it serves; kills it (by its PID)
 * and throws if it does not within `tries` asks.
 */
export async function startPeer(program: string, args: string[], o: PeerReady): Promise<Peer> {
  const child = new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  for (let i = 0; !(await o.ready()); i++) {
    if (i >= o.tries) {
      child.kill("SIGKILL");
      await child.status;
      await child.stderr.cancel();
      throw new Error(`${program} did not start serving (asked ${o.tries} times)`);
    }
    await pause(o.pauseMs);
  }
  return {
    child,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch { /* exited already */ }
      await child.status;
      await child.stderr.cancel().catch(() => {});
    },
  };
}
