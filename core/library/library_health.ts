/**
 * Whether a library folder can do its job: read (one entry listed) and,
 * unless the service is read-only, written (a probe file created, written
 * and removed, under a temp name that listings hide and the temp sweep
 * removes). A folder on a file system that stopped answering never fails,
 * it hangs: a check that takes longer than its timeout reports that, and
 * checks that come while one is still pending wait on the same one instead
 * of piling more stuck calls onto the file system.
 *
 * @module
 */

import { tempName } from "./temp_files.ts";

/** Options of {@linkcode LibraryHealth}. */
export interface LibraryHealthOptions {
  /** Longest wait for the folder to answer, in ms. @default 2000 */
  timeoutMs?: number;
  /** The check itself (tests replace it). @default reads, then writes when `writable` */
  probe?: () => Promise<void>;
  /** Resolves after `ms` (tests pass a virtual clock). @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => Deno.unrefTimer(setTimeout(r, ms)));
}

/** Reads one entry of `root`, then (when `writable`) creates, writes and removes a probe file. */
export async function probeFolder(root: string, writable: boolean): Promise<void> {
  try {
    for await (const _ of Deno.readDir(root)) break;
  } catch (e) {
    throw new Error(`cannot read the library folder ${root}: ${(e as Error).message}`);
  }
  if (!writable) return;
  const path = `${root}/${tempName()}`;
  try {
    const file = await Deno.open(path, { write: true, createNew: true });
    try {
      await file.write(new Uint8Array([0x6b]));
    } finally {
      file.close();
    }
    await Deno.remove(path);
  } catch (e) {
    throw new Error(`cannot write in the library folder ${root}: ${(e as Error).message}`);
  }
}

/** The health of one library folder, checked on demand. */
export class LibraryHealth {
  readonly #probe: () => Promise<void>;
  readonly #timeoutMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  #pending: Promise<string | null> | null = null;

  /**
   * @param root the folder
   * @param writable check writes too (the service accepts uploads)
   */
  constructor(root: string, writable: boolean, options: LibraryHealthOptions = {}) {
    this.#probe = options.probe ?? (() => probeFolder(root, writable));
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#sleep = options.sleep ?? sleep;
  }

  /** Null when the folder answered as it should, else why not (one line). */
  check(): Promise<string | null> {
    this.#pending ??= this.#probe().then(
      () => null,
      (e) => (e as Error).message,
    ).finally(() => this.#pending = null);
    const timeout = this.#sleep(this.#timeoutMs).then(() =>
      `the library folder did not answer within ${this.#timeoutMs} ms`
    );
    return Promise.race([this.#pending, timeout]);
  }
}
