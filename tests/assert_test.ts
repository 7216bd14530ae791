/** Tests for the test helpers themselves: each assertion passes and fails when it should. */

import {
  assert,
  assertCode,
  assertEquals,
  AssertionError,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
  equal,
  firstDifference,
} from "./assert.ts";

function fails(fn: () => unknown, includes?: string): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof AssertionError)) throw e;
    if (includes && !e.message.includes(includes)) {
      throw new Error(`message ${JSON.stringify(e.message)} lacks ${includes}`);
    }
    return;
  }
  throw new Error("expected an AssertionError");
}

Deno.test("equal: deep values that match", () => {
  const cyc1: Record<string, unknown> = { a: 1 };
  cyc1.self = cyc1;
  const cyc2: Record<string, unknown> = { a: 1 };
  cyc2.self = cyc2;
  const pairs: [unknown, unknown][] = [
    [NaN, NaN],
    [{ a: [1, { b: "x" }] }, { a: [1, { b: "x" }] }],
    [new Uint8Array([1, 2]), new Uint8Array([1, 2])],
    [new Uint8Array([1, 2, 3]).subarray(1), new Uint8Array([2, 3])],
    [new Date(5), new Date(5)],
    [/a/g, /a/g],
    [new Map([[1, { x: 1 }]]), new Map([[1, { x: 1 }]])],
    [new Set([{ a: 1 }, 2]), new Set([2, { a: 1 }])],
    [Object.assign(Object.create(null), { a: 1 }), { a: 1 }],
    [new Uint8Array([1]).buffer, new Uint8Array([1]).buffer],
    [cyc1, cyc2],
  ];
  for (const [a, b] of pairs) {
    assert(equal(a, b), `${Deno.inspect(a)} equals ${Deno.inspect(b)}`);
  }
});

Deno.test("equal: values that differ, with the path of the first difference", () => {
  const table: [unknown, unknown, string][] = [
    [0, -0, ""],
    [1, "1", ""],
    [null, undefined, ""],
    [{ a: 1 }, { a: 1, b: undefined }, ".b"],
    [{ a: [1, { b: "x" }] }, { a: [1, { b: "y" }] }, ".a[1].b"],
    [[1, 2], [1, 2, 3], ".length"],
    [new Uint8Array([1, 2]), new Uint8Array([1, 3]), "[1]"],
    [new Uint8Array([1]), new Int8Array([1]), ""],
    [new Uint8Array([1]), [1], ""],
    [new Date(5), new Date(6), ""],
    [new Map([[1, 2]]), new Map([[1, 3]]), ".get(1)"],
    [new Set([1]), new Set([2]), ".has(1)"],
    [new TypeError("a"), new RangeError("a"), ""],
    [new Error("a"), new Error("b"), ".message"],
  ];
  for (const [a, b, path] of table) {
    assertStrictEquals(
      firstDifference(a, b),
      path,
      `${Deno.inspect(a)} vs ${Deno.inspect(b)}`,
    );
  }
});

Deno.test("assertEquals and friends fail with a useful message", () => {
  assertEquals({ a: 1 }, { a: 1 });
  fails(() => assertEquals({ a: { b: 1 } }, { a: { b: 2 } }), "at .a.b");
  fails(() => assertEquals(1, 2, "context"), "context: values differ");
  assertNotEquals({ a: 1 }, { a: 2 });
  fails(() => assertNotEquals([1], [1]));
  assertStrictEquals(NaN, NaN);
  fails(() => assertStrictEquals({}, {}));
  assertMatch("abc", /b/);
  fails(() => assertMatch("abc", /d/));
  assert(1);
  fails(() => assert(0, "zero"), "zero");
  assertCode({ code: "EXISTS" }, "EXISTS");
  fails(() => assertCode(new Error("x"), "EXISTS"), "expected code");
});

Deno.test("assertThrows checks class and message, and returns the error", () => {
  const e = assertThrows(
    () => {
      throw new RangeError("out of range: 7");
    },
    RangeError,
    "range: 7",
  );
  assertEquals(e.message, "out of range: 7");
  fails(() => assertThrows(() => {}), "expected the function to throw");
  fails(() =>
    assertThrows(() => {
      throw new TypeError("t");
    }, RangeError), "expected a RangeError");
  fails(() =>
    assertThrows(
      () => {
        throw new Error("abc");
      },
      Error,
      "xyz",
    ), "to include");
});

Deno.test("assertRejects checks rejections and refuses synchronous throws", async () => {
  const e = await assertRejects(
    () => Promise.reject(new TypeError("t")),
    TypeError,
  );
  assertEquals(e.message, "t");
  let failed = false;
  try {
    await assertRejects(() => Promise.resolve(1));
  } catch (err) {
    failed = err instanceof AssertionError;
  }
  assert(failed, "a resolved promise fails");
  failed = false;
  try {
    await assertRejects(() => {
      throw new Error("sync");
    });
  } catch (err) {
    failed = err instanceof AssertionError && err.message.includes("threw");
  }
  assert(failed, "a synchronous throw fails");
});
