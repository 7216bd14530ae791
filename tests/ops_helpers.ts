/**
 * Helpers of the operations tests that drive real peers (Prometheus, nginx):
 * whether a peer is installed, and a free port to give it.
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
