/**
 * An exclusive advisory lock on an open file (`flock`), taken with a short,
 * bounded wait rather than at the first refusal.
 *
 * The wait is there because `flock` belongs to the open file description,
 * and a child process started while the file is open (by any thread of the
 * process: a test runner, a Worker) holds a copy of its descriptor until the
 * child's `exec`. A `close()` in that window leaves the lock held until the
 * child has started (milliseconds, in a process that spawns children).
 * A caller that reconnects at once after a broken transfer would otherwise
 * be told the file is busy when nobody holds it.
 *
 * @module
 */

/** How long {@linkcode lockExclusive} waits for a held lock by default, in ms. */
export const DEFAULT_LOCK_WAIT_MS = 1000;

/** The longest pause between two attempts, in ms. */
const MAX_PAUSE_MS = 50;

/** The part of `Deno.FsFile` a lock needs. */
export interface LockableFile {
  tryLock(exclusive?: boolean): Promise<boolean>;
}

/**
 * Takes an exclusive lock on `file`, trying again at growing pauses (1 ms,
 * doubling, at most 50 ms apart) for up to `waitMs`.
 *
 * @param waitMs how long to keep trying; 0 tries once
 * @default waitMs {@linkcode DEFAULT_LOCK_WAIT_MS}
 * @returns false when someone still holds it after `waitMs`
 */
export async function lockExclusive(
  file: LockableFile,
  waitMs = DEFAULT_LOCK_WAIT_MS,
): Promise<boolean> {
  const deadline = performance.now() + waitMs;
  let pause = 1;
  while (true) {
    if (await file.tryLock(true)) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await new Promise((r) => setTimeout(r, Math.min(pause, left)));
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
}
