/**
 * Reusable byte buffers for transfers. Every small download used to
 * allocate (and zero) fresh buffers of 64 KiB and more on both sides; at
 * 10,000 GETs a second that churn cost the server about a fifth of its time
 * in allocation and garbage collection, and a load generator a third, with
 * the collector's pauses showing in tail latency.
 *
 * A taken buffer holds stale bytes: callers send or use only what they have
 * written. A buffer goes back only when nothing reads or writes it any more
 * (no write in flight); one that is never given back is simply collected.
 *
 * @module
 */

/** Smallest capacity handed out; smaller asks share it. */
const MIN_CAPACITY = 4096;

/** Capacity class of a request: the next power of two, at least {@linkcode MIN_CAPACITY}. */
export function capacityFor(size: number): number {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`bad buffer size: ${size}`);
  let cap = MIN_CAPACITY;
  while (cap < size) cap *= 2;
  return cap;
}

/** A bounded free list of buffers, by power-of-two capacity. */
export class BufferPool {
  readonly #free = new Map<number, Uint8Array<ArrayBuffer>[]>();
  #bytes = 0;

  /**
   * @param maxBytes most bytes kept while unused (default 8 MiB)
   * @param maxPerClass most buffers kept of one capacity (default 32)
   * @param maxCapacity largest buffer kept (default 4 MiB); larger ones are
   *   allocated and dropped as before
   */
  constructor(
    readonly maxBytes = 8 * 1024 * 1024,
    readonly maxPerClass = 32,
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
      cap < MIN_CAPACITY || (cap & (cap - 1)) !== 0 || this.#bytes + cap > this.maxBytes
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
