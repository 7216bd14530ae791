/**
 * A keyed cache bounded by bytes (and optionally by entries) that evicts the
 * least recently used entry first, by the CLOCK rule: a hit only marks its
 * entry, and eviction passes a marked entry over once (unmarked, to the
 * back), so the hot path of a hit changes nothing in the map. The one cache
 * under every service's own:
 * each decides what a key and a value are and how many bytes a value
 * counts for; this one keeps the count and the order.
 *
 * @module
 */

/** Options of {@linkcode LruCache}. */
export interface LruOptions<V> {
  /** Most bytes held, summed over {@linkcode sizeOf}; 0 holds nothing. */
  maxBytes: number;
  /** Most entries held. @default Infinity */
  maxEntries?: number;
  /** The bytes a value counts for, taken once when it is stored. */
  sizeOf: (value: V) => number;
}

interface Slot<V> {
  value: V;
  size: number;
  /** Used since it last went to the back: eviction passes it over once. */
  used: boolean;
}

/**
 * A map bounded by bytes and entries, least recently used out first (by
 * the CLOCK rule, see the module doc).
 *
 * @example
 * ```ts
 * import { LruCache } from "./lru.ts";
 * const cache = new LruCache<string, Uint8Array>({ maxBytes: 1024, sizeOf: (b) => b.length });
 * cache.set("a", new Uint8Array(600));
 * cache.set("b", new Uint8Array(600)); // evicts "a"
 * cache.has("a"); // false
 * ```
 */
export class LruCache<K, V> {
  readonly maxBytes: number;
  readonly maxEntries: number;
  readonly #sizeOf: (value: V) => number;
  readonly #map = new Map<K, Slot<V>>();
  #bytes = 0;

  /** @throws {RangeError} for a negative or non-numeric bound */
  constructor(options: LruOptions<V>) {
    const { maxBytes, maxEntries = Infinity } = options;
    if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be 0 or more, got ${maxBytes}`);
    if (!(maxEntries >= 0)) throw new RangeError(`maxEntries must be 0 or more, got ${maxEntries}`);
    this.maxBytes = maxBytes;
    this.maxEntries = maxEntries;
    this.#sizeOf = options.sizeOf;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries held now. */
  get size(): number {
    return this.#map.size;
  }

  /** The value of `key`, marked as used; undefined when absent. */
  get(key: K): V | undefined {
    const slot = this.#map.get(key);
    if (slot === undefined) return undefined;
    slot.used = true;
    return slot.value;
  }

  /** True when `key` is held; its recency is left alone. */
  has(key: K): boolean {
    return this.#map.has(key);
  }

  /**
   * Stores `value` under `key` as the most recently used, replacing any value
   * there, then evicts the least recently used entries until both bounds
   * hold (an entry used since it last went to the back goes to the back
   * instead, once). A value larger than `maxBytes` is not kept (and the old value of
   * `key` is gone all the same).
   *
   * @returns whether the value was kept
   * @throws {RangeError} when `sizeOf` gives a negative, infinite or non-numeric size
   */
  set(key: K, value: V): boolean {
    const size = this.#sizeOf(value);
    if (!(Number.isFinite(size) && size >= 0)) {
      throw new RangeError(`an entry's size must be a finite 0 or more, got ${size}`);
    }
    this.delete(key);
    if (size > this.maxBytes || this.maxBytes === 0 || this.maxEntries < 1) return false;
    // Room is made before the new entry goes in, so it is never the one out.
    // Each pass unmarks what it passes over: at most two turns of the map.
    while (this.#bytes + size > this.maxBytes || this.#map.size + 1 > this.maxEntries) {
      const [k, slot] = this.#map.entries().next().value!;
      this.#map.delete(k);
      if (slot.used) {
        slot.used = false;
        this.#map.set(k, slot);
      } else {
        this.#bytes -= slot.size;
      }
    }
    this.#map.set(key, { value, size, used: false });
    this.#bytes += size;
    return true;
  }

  /** Removes `key`; true when it was held. */
  delete(key: K): boolean {
    const slot = this.#map.get(key);
    if (slot === undefined) return false;
    this.#map.delete(key);
    this.#bytes -= slot.size;
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }
}
