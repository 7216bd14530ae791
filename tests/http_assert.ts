/**
 * The few assertions the HTTP tests use (no @std here: jsr is unreachable).
 *
 * @module
 */

/** Throws unless `cond` holds. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Deep equality through JSON-like structure (Maps and bytes included). */
export function assertEquals(
  actual: unknown,
  expected: unknown,
  msg = "",
): void {
  const a = stable(actual);
  const e = stable(expected);
  if (a !== e) {
    throw new Error(`${msg ? msg + ": " : ""}expected ${e}, got ${a}`);
  }
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (x instanceof Map) return Object.fromEntries(x);
    if (x instanceof Uint8Array) {
      return `bytes(${x.length}:${Array.from(x.subarray(0, 64)).join(",")})`;
    }
    if (x && typeof x === "object" && !Array.isArray(x)) {
      return Object.fromEntries(
        Object.entries(x).sort(([p], [q]) => p < q ? -1 : 1),
      );
    }
    return x;
  });
}

/** Throws unless `fn` throws an instance of `type`. */
export function assertThrows(
  fn: () => unknown,
  type: new (...a: never[]) => Error = Error,
  _includes?: string,
  msg = "",
): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof type) return;
    throw new Error(`${msg}: threw the wrong error: ${e}`);
  }
  throw new Error(`expected a throw${msg ? ": " + msg : ""}`);
}

/** Throws unless two byte arrays are equal. */
export function assertBytes(
  actual: Uint8Array,
  expected: Uint8Array,
  msg = "",
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${msg}: length ${actual.length} != ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      throw new Error(`${msg}: differs at byte ${i}`);
    }
  }
}
