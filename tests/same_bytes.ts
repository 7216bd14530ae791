/**
 * Byte buffers compared for the tests. `node:assert`'s `deepEqual` would do,
 * but on a failure it diffs every element of both buffers, which for a file
 * of megabytes takes minutes; this reports the first differing index at once.
 *
 * @module
 */

import assert from "node:assert/strict";

/**
 * Fails unless `actual` and `expected` are views of the same type holding the
 * same bytes, naming the first index where they differ.
 */
export function assertSameBytes(actual: Uint8Array, expected: Uint8Array, message?: string): void {
  const why = (what: string) => assert.fail(message ? `${message}: ${what}` : what);
  if (Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected)) {
    why(`a ${actual.constructor.name} is not a ${expected.constructor.name}`);
  }
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) why(`byte ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
  if (actual.length !== expected.length) {
    why(`${actual.length} bytes, expected ${expected.length} (the first ${n} agree)`);
  }
}
