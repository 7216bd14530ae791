/**
 * Reads of a path racing another host's `rename` over it. On a network file
 * system shared by several hosts (GlusterFS here), an `open` or `stat` of a
 * name that another host is replacing can fail for an instant: ESTALE (the
 * kernel still held the handle of the replaced file) or even ENOENT, though
 * the name never stopped existing. One immediate retry, which looks the
 * name up afresh, finds the new file (docs/SCALE-OUT.md has the counts).
 *
 * Only reads of a path are retried, never a change: a `rename` or `link`
 * that failed may have done its work, and doing it twice is not the same.
 *
 * @module
 */

/** True for ESTALE: a file handle of a network file system that no longer names a file. */
export function isStaleHandle(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if ((e as { code?: unknown }).code === "ESTALE") return true;
  // Deno 2.9 gives ESTALE no class and no code, only the OS's message.
  return Deno.build.os === "linux" && e.message.includes("(os error 116)");
}

/** True for what a read racing a replacement on another host may see once. */
export function isRaceWithReplace(e: unknown): boolean {
  return e instanceof Deno.errors.NotFound || isStaleHandle(e);
}

/**
 * Runs `read`, and once more when it fails with ESTALE or ENOENT (or
 * whatever `retryOn` accepts), up to `passes` runs in all: the last failure
 * is thrown. A name that is really missing costs one lookup more.
 */
export function retryReadSync<T>(read: () => T, retryOn = isRaceWithReplace, passes = 2): T {
  for (let pass = 1;; pass++) {
    try {
      return read();
    } catch (e) {
      if (pass >= passes || !retryOn(e)) throw e;
    }
  }
}

/** The asynchronous twin of {@linkcode retryReadSync}. */
export async function retryRead<T>(
  read: () => Promise<T>,
  retryOn = isRaceWithReplace,
): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (!retryOn(e)) throw e;
  }
  return await read();
}
