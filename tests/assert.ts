/**
 * Small assertion helpers for netkit's tests, in the manner of `@std/assert`
 * (which this machine cannot reach): deep equality that reports where two
 * values first differ, and checks for thrown or rejected errors.
 *
 * @module
 */

/** Thrown by every failed assertion. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/** Formats a value for a failure message. */
export function format(v: unknown): string {
  return Deno.inspect(v, {
    depth: 8,
    colors: false,
    iterableLimit: 64,
    strAbbreviateSize: 200,
    sorted: true,
    trailingComma: false,
    compact: true,
  });
}

/** Plain objects: `{}` literals and `Object.create(null)` ones compare alike. */
function isPlain(proto: unknown): boolean {
  return proto === null || proto === Object.prototype;
}

type Ctor = abstract new (...args: never[]) => unknown;

function isTypedArray(v: unknown): v is ArrayLike<number | bigint> {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/**
 * Where `a` and `b` first differ, as a path such as `.entries[2].size`
 * (`""` when the top-level values differ), or `null` when they are deeply
 * equal. Compares primitives with `Object.is` (so `NaN` equals `NaN` and
 * `0` differs from `-0`), typed arrays, `ArrayBuffer`s and `DataView`s by type
 * and bytes, `Date`s by time, `RegExp`s by source and flags, `Map`s and `Set`s
 * by content, arrays by elements and other objects by prototype and own
 * enumerable string and symbol keys (a null-prototype object and a plain
 * `{}` compare alike). Cycles are handled.
 */
export function firstDifference(
  a: unknown,
  b: unknown,
  path = "",
  seen: WeakMap<object, object> = new WeakMap(),
): string | null {
  if (Object.is(a, b)) return null;
  if (typeof a !== "object" || typeof b !== "object" || !a || !b) {
    return path;
  }
  if (seen.get(a) === b) return null;
  seen.set(a, b);
  const protoA = Object.getPrototypeOf(a);
  const protoB = Object.getPrototypeOf(b);
  if (protoA !== protoB && !(isPlain(protoA) && isPlain(protoB))) return path;
  if (a instanceof Date) {
    return Object.is(a.getTime(), (b as Date).getTime()) ? null : path;
  }
  if (a instanceof RegExp) return String(a) === String(b) ? null : path;
  if (a instanceof ArrayBuffer || a instanceof DataView) {
    const x = a instanceof DataView
      ? new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
      : new Uint8Array(a);
    const y = b instanceof DataView
      ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
      : new Uint8Array(b as ArrayBuffer);
    return firstDifference(x, y, path, seen);
  }
  if (isTypedArray(a)) {
    const y = b as ArrayLike<number | bigint>;
    if (a.length !== y.length) return `${path}.length`;
    for (let i = 0; i < a.length; i++) {
      if (!Object.is(a[i], y[i])) return `${path}[${i}]`;
    }
    return null;
  }
  if (a instanceof Map) {
    const y = b as Map<unknown, unknown>;
    if (a.size !== y.size) return `${path}.size`;
    for (const [k, v] of a) {
      if (!y.has(k)) return `${path}.get(${format(k)})`;
      const d = firstDifference(v, y.get(k), `${path}.get(${format(k)})`, seen);
      if (d !== null) return d;
    }
    return null;
  }
  if (a instanceof Set) {
    const y = b as Set<unknown>;
    if (a.size !== y.size) return `${path}.size`;
    const rest = [...y];
    for (const v of a) {
      const i = rest.findIndex((w) => firstDifference(v, w) === null);
      if (i < 0) return `${path}.has(${format(v)})`;
      rest.splice(i, 1);
    }
    return null;
  }
  if (Array.isArray(a)) {
    const y = b as unknown[];
    if (a.length !== y.length) return `${path}.length`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], y[i], `${path}[${i}]`, seen);
      if (d !== null) return d;
    }
    return null;
  }
  const keysA = Reflect.ownKeys(a).filter((k) => Object.prototype.propertyIsEnumerable.call(a, k));
  const keysB = Reflect.ownKeys(b).filter((k) => Object.prototype.propertyIsEnumerable.call(b, k));
  const key = (k: string | symbol) => `${path}.${String(k)}`;
  for (const k of keysB) if (!keysA.includes(k)) return key(k);
  for (const k of keysA) {
    if (!keysB.includes(k)) return key(k);
    const d = firstDifference(
      (a as Record<string | symbol, unknown>)[k],
      (b as Record<string | symbol, unknown>)[k],
      key(k),
      seen,
    );
    if (d !== null) return d;
  }
  if (a instanceof Error) {
    const e = b as Error;
    if (a.message !== e.message) return `${path}.message`;
  }
  return null;
}

/** True when `a` and `b` are deeply equal (see {@linkcode firstDifference}). */
export function equal(a: unknown, b: unknown): boolean {
  return firstDifference(a, b) === null;
}

function fail(message: string, msg?: string): never {
  throw new AssertionError(msg ? `${msg}: ${message}` : message);
}

/** Fails unless `cond` is truthy. */
export function assert(
  cond: unknown,
  msg = "expected a truthy value",
): asserts cond {
  if (!cond) fail(msg);
}

/** Fails unless `actual` deeply equals `expected`, naming the first difference. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  const d = firstDifference(actual, expected);
  if (d === null) return;
  const where = d === "" ? "" : ` at ${d}`;
  fail(
    `values differ${where}\n  actual:   ${format(actual)}\n  expected: ${format(expected)}`,
    msg,
  );
}

/** Fails when `actual` deeply equals `expected`. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  if (equal(actual, expected)) {
    fail(`expected a value other than ${format(expected)}`, msg);
  }
}

/** Fails unless `actual` and `expected` are the same value (`Object.is`). */
export function assertStrictEquals<T>(
  actual: T,
  expected: T,
  msg?: string,
): void {
  if (!Object.is(actual, expected)) {
    fail(
      `not the same value\n  actual:   ${format(actual)}\n  expected: ${format(expected)}`,
      msg,
    );
  }
}

/** Fails unless `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, msg?: string): void {
  if (!re.test(text)) fail(`${format(text)} does not match ${re}`, msg);
}

function checkError<E>(
  e: unknown,
  ErrorClass: Ctor | undefined,
  msgIncludes: string | undefined,
  msg: string | undefined,
): E {
  if (e instanceof AssertionError) throw e;
  if (ErrorClass && !(e instanceof ErrorClass)) {
    fail(`expected a ${ErrorClass.name}, got ${format(e)}`, msg);
  }
  if (msgIncludes !== undefined) {
    const text = e instanceof Error ? e.message : String(e);
    if (!text.includes(msgIncludes)) {
      fail(
        `expected the message to include ${format(msgIncludes)}, got ${format(text)}`,
        msg,
      );
    }
  }
  return e as E;
}

/**
 * Fails unless `fn` throws (synchronously) an instance of `ErrorClass` whose
 * message includes `msgIncludes`; returns the error for further checks.
 */
export function assertThrows<C extends Ctor = ErrorConstructor>(
  fn: () => unknown,
  ErrorClass?: C,
  msgIncludes?: string,
  msg?: string,
): InstanceType<C> {
  try {
    fn();
  } catch (e) {
    return checkError(e, ErrorClass, msgIncludes, msg);
  }
  return fail("expected the function to throw", msg);
}

/**
 * Fails unless `fn` returns a promise that rejects with an instance of
 * `ErrorClass` whose message includes `msgIncludes`; returns the error.
 * A synchronous throw counts as a failure: the caller promised a rejection.
 */
export async function assertRejects<C extends Ctor = ErrorConstructor>(
  fn: () => PromiseLike<unknown>,
  ErrorClass?: C,
  msgIncludes?: string,
  msg?: string,
): Promise<InstanceType<C>> {
  let p: PromiseLike<unknown>;
  try {
    p = fn();
  } catch (e) {
    return fail(
      `expected a rejection, but the function threw ${format(e)}`,
      msg,
    );
  }
  try {
    await p;
  } catch (e) {
    return checkError(e, ErrorClass, msgIncludes, msg);
  }
  return fail("expected the promise to reject", msg);
}

/**
 * Fails unless `e` has a `code` property equal to `code` (NetkitError,
 * Node-style errors); returns `e`.
 */
export function assertCode<E>(e: E, code: string, msg?: string): E {
  const got = (e as { code?: unknown } | null)?.code;
  if (got !== code) {
    fail(
      `expected code ${format(code)}, got ${format(got)} from ${format(e)}`,
      msg,
    );
  }
  return e;
}
