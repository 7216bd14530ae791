/**
 * Connections per client address, counted across every Worker that serves
 * one port (as nginx's `limit_conn` or vsftpd's `max_per_ip`), so that one
 * host cannot take every connection slot. The counts live in a
 * SharedArrayBuffer updated with atomics: a count-min table of two rows,
 * each address counted in one cell of each row and judged by the smaller
 * count. Another address that shares a cell can only make the limit
 * stricter, and only when it shares both; nothing is allocated per address.
 *
 * @module
 */

/** Cells in each row. */
const CELLS = 4096;
/** Bytes of the shared table: two rows of 32-bit counters. */
export const ADDRESS_COUNTS_BYTES = 2 * CELLS * 4;

/** FNV-1a over the UTF-16 units of `s`, from `seed`. */
function hash(s: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A per-address connection limit shared by everyone holding the same buffer. */
export class AddressCounts {
  readonly #cells: Int32Array;
  readonly #limit: number;

  /**
   * @param limit connections allowed from one address
   * @param buffer {@linkcode ADDRESS_COUNTS_BYTES} shared by all holders; a
   *   fresh one when omitted
   */
  constructor(
    limit: number,
    buffer: SharedArrayBuffer = new SharedArrayBuffer(ADDRESS_COUNTS_BYTES),
  ) {
    this.#cells = new Int32Array(buffer);
    this.#limit = limit;
  }

  /** The buffer to hand to other Workers. */
  get buffer(): SharedArrayBuffer {
    return this.#cells.buffer as SharedArrayBuffer;
  }

  #at(key: string): [number, number] {
    return [hash(key, 0x811c9dc5) % CELLS, CELLS + hash(key, 0x01000193) % CELLS];
  }

  /** Counts a connection from `key`; false (and nothing counted) past the limit. */
  tryAcquire(key: string): boolean {
    const [a, b] = this.#at(key);
    const n = Math.min(Atomics.add(this.#cells, a, 1), Atomics.add(this.#cells, b, 1));
    if (n < this.#limit) return true;
    Atomics.sub(this.#cells, a, 1);
    Atomics.sub(this.#cells, b, 1);
    return false;
  }

  /** Forgets a connection counted by {@linkcode tryAcquire}. */
  release(key: string): void {
    const [a, b] = this.#at(key);
    Atomics.sub(this.#cells, a, 1);
    Atomics.sub(this.#cells, b, 1);
  }

  /** Connections counted for `key` now (at least the true count). */
  count(key: string): number {
    const [a, b] = this.#at(key);
    return Math.min(Atomics.load(this.#cells, a), Atomics.load(this.#cells, b));
  }
}
