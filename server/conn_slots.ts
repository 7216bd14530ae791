/**
 * Connection slots: how a server enforces its connection limit. A local
 * counter serves one accept loop; a shared one, on a SharedArrayBuffer
 * updated with atomics, keeps one limit across every Worker that serves the
 * same port.
 *
 * @module
 */

/** A connection limit that accept loops draw from. */
export interface ConnectionSlots {
  /** Takes a slot; false when the limit is reached. */
  tryAcquire(): boolean;
  /**
   * Takes a slot past the limit, for a connection let in while another is
   * being closed to make room (its slot is on its way back).
   */
  take(): void;
  /** Gives a slot back. */
  release(): void;
  /** Slots taken now. */
  readonly used: number;
}

/** A limit of `max` connections shared by everyone holding the same `buffer`. */
export class SharedSlots implements ConnectionSlots {
  readonly #count: Int32Array;
  readonly #max: number;

  /**
   * @param max the limit
   * @param buffer a 4-byte SharedArrayBuffer shared by all holders; a fresh
   *   one when omitted
   */
  constructor(max: number, buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.#count = new Int32Array(buffer);
    this.#max = max;
  }

  /** The buffer to hand to other Workers. */
  get buffer(): SharedArrayBuffer {
    return this.#count.buffer as SharedArrayBuffer;
  }

  tryAcquire(): boolean {
    if (Atomics.add(this.#count, 0, 1) < this.#max) return true;
    Atomics.sub(this.#count, 0, 1);
    return false;
  }

  take(): void {
    Atomics.add(this.#count, 0, 1);
  }

  release(): void {
    Atomics.sub(this.#count, 0, 1);
  }

  get used(): number {
    return Atomics.load(this.#count, 0);
  }
}
