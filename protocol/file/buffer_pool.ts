/**
 * Reusable byte buffers for transfers. Allocating (and zeroing) fresh
 * buffers of 64 KiB and more for every small download costs a busy server a
 * large share of its time in allocation and garbage collection, and the
 * collector's pauses show in tail latency.
 *
 * A taken buffer holds stale bytes: callers send or use only what they have
 * written. A buffer goes back only when nothing reads or writes it any more
 * (no write in flight); one that is never given back is simply collected.
 *
 * @module
 */

/** Smallest capacity handed out; smaller asks share it. */
const MIN_CAPACITY = 4096;

/**
 * Capacity class of a request: at least {@linkcode MIN_CAPACITY}, else the
 * next of eight steps per power of two (a 64 KiB file's reply of 64 KiB and
 * a few bytes takes 80 KiB, not 128 KiB).
 */
export function capacityFor(size: number): number {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`bad buffer size: ${size}`);
  if (size <= MIN_CAPACITY) return MIN_CAPACITY;
  let octave = MIN_CAPACITY;
  while (octave < size) octave *= 2;
  const step = octave / 8;
  return Math.ceil(size / step) * step;
}

/** A bounded free list of buffers, by capacity class. */
export class BufferPool {
  readonly #free = new Map<number, Uint8Array<ArrayBuffer>[]>();
  #bytes = 0;

  /**
   * @param maxBytes most bytes kept while unused (default 16 MiB: a hundred
   *   concurrent small downloads each hold one 80 KiB buffer)
   * @param maxPerClass most buffers kept of one capacity (default 256)
   * @param maxCapacity largest buffer kept (default 4 MiB); larger ones are
   *   allocated and dropped as before
   */
  constructor(
    readonly maxBytes = 16 * 1024 * 1024,
    readonly maxPerClass = 256,
    readonly maxCapacity = 4 * 1024 * 1024,
  ) {}

  /** Bytes held unused right now. */
  get pooledBytes(): number {
    return this.#bytes;
  }

  /** A whole buffer of at least `size` bytes; its contents are stale. */
  take(size: number): Uint8Array<ArrayBuffer> {
    const cap = capacityFor(size);
    const buf = this.#free.get(cap)?.pop();
    if (buf !== undefined) {
      this.#bytes -= cap;
      return buf;
    }
    return new Uint8Array(cap);
  }

  /**
   * Returns a buffer from {@linkcode take} once nothing uses it. Views,
   * foreign sizes and buffers past the limits are left to the collector.
   */
  give(buf: Uint8Array<ArrayBuffer>): void {
    const cap = buf.byteLength;
    if (
      buf.byteOffset !== 0 || cap !== buf.buffer.byteLength || cap > this.maxCapacity ||
      capacityFor(cap) !== cap || this.#bytes + cap > this.maxBytes
    ) {
      return;
    }
    let list = this.#free.get(cap);
    if (list === undefined) this.#free.set(cap, list = []);
    if (list.length >= this.maxPerClass || list.includes(buf)) return;
    list.push(buf);
    this.#bytes += cap;
  }
}

/** The pool transfers in this isolate share. */
export const transferBuffers: BufferPool = new BufferPool();
