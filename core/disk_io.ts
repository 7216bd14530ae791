/**
 * Disk I/O pacing shared by every writer and reader of library files: small
 * synchronous reads and writes while the page cache answers at once, and a
 * switch to Deno's blocking pool once one file's calls start waiting for the
 * disk, so a slow disk never stalls the other clients of the event loop.
 *
 * @module
 */

/**
 * A synchronous file call slower than this waited for the disk (a cold
 * read, dirty-page throttling, a slow device) rather than copying to or from
 * the page cache, which takes tens of microseconds.
 */
export const SLOW_SYNC_MS = 2;

/**
 * Slow synchronous calls tolerated before the I/O goes asynchronous: one
 * alone may be a stall of the machine (a fresh buffer's first touch on a
 * VM), not the disk.
 */
export const SLOW_SYNC_CALLS = 2;

/**
 * Whether one file's I/O may still block the event loop. Synchronous reads
 * and writes of the page cache cost a fraction of an async op's hop through
 * Deno's blocking pool, but they hold every other client while they run:
 * once {@linkcode SLOW_SYNC_CALLS} of them have waited for the disk, the
 * gate closes and the rest of that file's I/O goes through the pool.
 */
export class SyncGate {
  #slow = 0;
  readonly #clock: () => number;

  /**
   * @param clock the time in ms; tests pass a virtual clock, so that only the
   *   stalls they play count, never a stall of the machine running them
   * @default clock `performance.now()`
   */
  constructor(clock: () => number = () => performance.now()) {
    this.#clock = clock;
  }

  /** True while synchronous calls are still allowed. */
  get open(): boolean {
    return this.#slow < SLOW_SYNC_CALLS;
  }

  /** The time a synchronous call starts at, to hand to {@linkcode SyncGate.timed} after it. */
  start(): number {
    return this.#clock();
  }

  /** Counts the synchronous call that began at `started`, when it was slow. */
  timed(started: number): void {
    if (this.#clock() - started > SLOW_SYNC_MS) this.#slow++;
  }
}

/**
 * The largest single asynchronous write into a file (a {@linkcode FileWriter}
 * once its gate has closed): large enough that hops through Deno's blocking
 * pool stay few, small enough that Linux never serves the write with large
 * page-cache folios, which fault on the host of VMs that hand freed memory
 * back (docs/BENCHMARKS.md, "Design measurements").
 */
export const FILE_WRITE_PIECE = 256 * 1024;

/**
 * The largest single synchronous write into a file. No pool hop per write
 * here, so the piece can stay small enough that the page cache never needs a
 * large folio; the extra system calls cost nothing measurable.
 */
export const SYNC_WRITE_PIECE = 64 * 1024;

/** A file that writes both ways (a `Deno.FsFile`). */
export interface WritableFile {
  write(p: Uint8Array): Promise<number>;
  writeSync(p: Uint8Array): number;
}

/**
 * Writes a file (a client's part file, a server's upload temp file)
 * synchronously in {@linkcode SYNC_WRITE_PIECE} pieces while its
 * {@linkcode SyncGate} stays open, then asynchronously in
 * {@linkcode FILE_WRITE_PIECE} pieces.
 */
export class FileWriter {
  readonly #file: WritableFile;
  readonly #gate: SyncGate;

  /**
   * @param file the open file (a `Deno.FsFile`)
   * @param gate decides when writes go asynchronous (a fresh one per file)
   */
  constructor(file: WritableFile, gate: SyncGate = new SyncGate()) {
    this.#file = file;
    this.#gate = gate;
  }

  /** True while writes are still synchronous. */
  get synchronous(): boolean {
    return this.#gate.open;
  }

  /** Writes all of `bytes` at the file's position; a failure (a full disk) rejects. */
  async write(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      if (this.#gate.open) {
        const started = this.#gate.start();
        at += this.#file.writeSync(
          bytes.subarray(at, Math.min(bytes.length, at + SYNC_WRITE_PIECE)),
        );
        this.#gate.timed(started);
      } else {
        at += await this.#file.write(
          bytes.subarray(at, Math.min(bytes.length, at + FILE_WRITE_PIECE)),
        );
      }
    }
  }
}

/** A file that reads synchronously (a `Deno.FsFile`). */
export interface SyncReadableFile {
  readSync(p: Uint8Array): number | null;
}

/**
 * The synchronous twin of `readFull` of a data path, for small reads from a local
 * file, where an async op per read costs more than the copy itself.
 */
export function readFullSync(file: SyncReadableFile, buf: Uint8Array): number {
  let at = 0;
  while (at < buf.length) {
    const n = file.readSync(buf.subarray(at));
    if (n === null) break;
    at += n;
  }
  return at;
}
