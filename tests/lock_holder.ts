/**
 * Another writer's lock on a file, for tests of code that waits for one:
 * `using holder = await holdLock(path)`, then `holder.releaseAfter(ms)` to let
 * go while the code under test waits. Disposing lets go at once.
 *
 * @module
 */

import assert from "node:assert/strict";

/** A held lock; see {@linkcode holdLock}. */
export interface LockHolder extends Disposable {
  /** Lets go of the lock `ms` from now. */
  releaseAfter(ms: number): void;
}

/** Opens `path` (creating it) and takes an exclusive lock on it, as another writer would. */
export async function holdLock(path: string): Promise<LockHolder> {
  const file = await Deno.open(path, { read: true, write: true, create: true });
  let open = true;
  const release = () => {
    if (open) file.close();
    open = false;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    assert.equal(await file.tryLock(true), true, `${path} is locked already`);
  } catch (e) {
    release();
    throw e;
  }
  return {
    releaseAfter(ms) {
      clearTimeout(timer);
      timer = setTimeout(release, ms);
    },
    [Symbol.dispose]() {
      clearTimeout(timer);
      release();
    },
  };
}
