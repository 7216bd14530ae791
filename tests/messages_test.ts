/**
 * Unit tests for the pure payload codec: `protocol/fields.ts` and
 * `protocol/messages.ts`. Bytes only, no sockets.
 */

import assert from "node:assert/strict";
import { ERROR_CODES, type ErrorCodeName, isNetkitError, NetkitError } from "../core/errors.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { WIRE_ERROR_CODES } from "../protocol/file/error_codes.ts";
import { FieldReader, FieldWriter } from "../protocol/file/fields.ts";
import { FrameType, type FrameTypeValue, HEADER_SIZE } from "../protocol/file/frame.ts";
import {
  decodeMessage,
  encodeMessage,
  encodePayload,
  errorMessage,
  frameTypeOf,
  HELLO_MAGIC,
  type Message,
} from "../protocol/file/messages.ts";
import { Prng } from "./prng.ts";
import { concat, SAMPLES } from "./protocol_samples.ts";

/** Asserts that `fn` throws a BAD_FRAME ProtocolError whose message includes `part`. */
function badFrame(fn: () => unknown, part = ""): void {
  assert.throws(
    fn,
    (e: unknown) =>
      e instanceof ProtocolError && e.code === "BAD_FRAME" && e.message.includes(part),
  );
}

/** A payload for `type` built by hand, to reach states the encoder never makes. */
function payload(build: (w: FieldWriter) => unknown): Uint8Array {
  const w = new FieldWriter();
  build(w);
  return w.bytes().slice();
}

Deno.test("every message type round-trips through encodePayload and decodeMessage", () => {
  const seen = new Set<string>();
  for (const m of SAMPLES) {
    seen.add(m.type);
    const p = encodePayload(m);
    assert.deepEqual(decodeMessage(frameTypeOf(m), p), m, m.type);
  }
  const all = Object.keys(FrameType).filter((t) => t !== "DATA");
  assert.deepEqual(
    [...seen].sort(),
    all.sort(),
    "samples cover every control type",
  );
});

Deno.test("encodeMessage writes the type and exact payload length in the header", () => {
  for (const m of SAMPLES) {
    const f = encodeMessage(m);
    const p = encodePayload(m);
    assert.deepEqual(f[0], FrameType[m.type]);
    const len = new DataView(f.buffer, f.byteOffset).getUint32(1);
    assert.equal(len, p.length);
    assert.deepEqual(f.subarray(HEADER_SIZE), p);
  }
});

Deno.test("decodeMessage reads views with a non-zero byteOffset", () => {
  for (const m of SAMPLES) {
    const p = encodePayload(m);
    for (const pad of [1, 3, 7]) {
      const big = new Uint8Array(pad + p.length + pad).fill(0xee);
      big.set(p, pad);
      const view = big.subarray(pad, pad + p.length);
      assert.deepEqual(
        decodeMessage(frameTypeOf(m), view),
        m,
        `${m.type} at +${pad}`,
      );
    }
  }
});

Deno.test("decoded byte fields are copies, not views of the input", () => {
  const m = SAMPLES.find((s) => s.type === "END")!;
  const p = encodePayload(m).slice();
  const got = decodeMessage(FrameType.END, p) as { digest: Uint8Array };
  p.fill(0);
  assert.deepEqual(got.digest, (m as { digest: Uint8Array }).digest);
});

Deno.test("every strict prefix of a payload is a BAD_FRAME, but a whole one without its optional tail", () => {
  for (const m of SAMPLES) {
    const p = encodePayload(m);
    // Optional fields at the end: a HELLO's user, GET's ifVersion, PUT's version.
    const plain = { ...m } as Message & { ifVersion?: unknown; version?: unknown; user?: unknown };
    if (m.type === "GET") delete plain.ifVersion;
    if (m.type === "PUT") delete plain.version;
    if (m.type === "HELLO") delete plain.user;
    const base = encodePayload(plain);
    for (let n = 0; n < p.length; n++) {
      if (n === base.length && base.length < p.length) {
        assert.deepEqual(decodeMessage(frameTypeOf(m), p.subarray(0, n)), plain);
        continue;
      }
      badFrame(() => decodeMessage(frameTypeOf(m), p.subarray(0, n)));
    }
  }
});

Deno.test("a trailing byte after any payload is a BAD_FRAME", () => {
  for (const m of SAMPLES) {
    const p = concat([encodePayload(m), new Uint8Array([0])]);
    // After a HELLO without a user, the byte would start one: a truncated name.
    const part = m.type === "HELLO" && !m.user ? "truncated" : "trailing";
    badFrame(() => decodeMessage(frameTypeOf(m), p), part);
  }
});

Deno.test("HELLO: the optional user round-trips, and its absence is the old encoding", () => {
  const base = SAMPLES[0] as Extract<typeof SAMPLES[number], { type: "HELLO" }>;
  const withUser = { ...base, user: "alice" };
  assert.deepEqual(decodeMessage(FrameType.HELLO, encodePayload(withUser)), withUser);
  const plain = encodePayload(base);
  assert.equal(encodePayload({ ...base, user: undefined }).length, plain.length);
  assert.equal(encodePayload(withUser).length, plain.length + 2 + 5);
  badFrame(() => decodeMessage(FrameType.HELLO, concat([plain, new Uint8Array(2)])), "empty user");
});

Deno.test("DATA and unknown types have no message form", () => {
  badFrame(() => decodeMessage(FrameType.DATA, new Uint8Array(4)));
  for (const t of [0x00, 0x03, 0x12, 0x7e, 0x80, 0xff]) {
    badFrame(() => decodeMessage(t as FrameTypeValue, new Uint8Array(0)));
  }
});

Deno.test("HELLO without the NKIT magic is refused", async (t) => {
  const good = encodePayload(SAMPLES[0]);
  for (let i = 0; i < HELLO_MAGIC.length; i++) {
    await t.step(`byte ${i} wrong`, () => {
      const p = good.slice();
      p[i] ^= 0x20; // "NKIT" -> "nKIT" and so on
      badFrame(() => decodeMessage(FrameType.HELLO, p), "magic");
    });
  }
  await t.step("magic missing altogether", () => {
    badFrame(() => decodeMessage(FrameType.HELLO, good.subarray(4)));
  });
  await t.step("empty payload", () => {
    badFrame(() => decodeMessage(FrameType.HELLO, new Uint8Array(0)));
  });
});

Deno.test("u64 fields past 2^53 - 1 are refused", () => {
  const max = payload((w) => w.str("f").u64(Number.MAX_SAFE_INTEGER));
  assert.deepEqual(decodeMessage(FrameType.GET, max), {
    type: "GET",
    name: "f",
    offset: Number.MAX_SAFE_INTEGER,
  });
  for (const big of [2n ** 53n, 2n ** 63n, 2n ** 64n - 1n]) {
    const p = payload((w) => w.str("f"));
    const v = new Uint8Array(8);
    new DataView(v.buffer).setBigUint64(0, big);
    badFrame(() => decodeMessage(FrameType.GET, concat([p, v])), "too large");
    badFrame(() => new FieldReader(v).u64());
  }
});

Deno.test("invalid UTF-8 in a string field is refused", async (t) => {
  const cases: Record<string, number[]> = {
    "lone continuation byte": [0x80],
    "0xff": [0xff],
    "overlong NUL": [0xc0, 0x80],
    "overlong slash": [0xe0, 0x80, 0xaf],
    "UTF-16 surrogate": [0xed, 0xa0, 0x80],
    "truncated sequence": [0x61, 0xe2, 0x82],
    "past U+10FFFF": [0xf4, 0x90, 0x80, 0x80],
  };
  for (const [what, bytes] of Object.entries(cases)) {
    await t.step(what, () => {
      const p = payload((w) => w.bytes16(new Uint8Array(bytes)).u64(0));
      badFrame(() => decodeMessage(FrameType.GET, p), "UTF-8");
    });
  }
});

Deno.test("string fields keep a leading byte order mark", () => {
  // A decoder that strips U+FEFF would let the name on the wire and the
  // name the peer acts on differ.
  for (const name of ["\uFEFFx", "\uFEFF", "a\uFEFF"]) {
    const m: Message = { type: "GET", name, offset: 0 };
    assert.deepEqual(
      decodeMessage(FrameType.GET, encodePayload(m)),
      m,
      JSON.stringify(name),
    );
  }
});

Deno.test("LIST_ENTRIES with a count the payload cannot hold fails fast", () => {
  for (const n of [0xffffffff, 0x10000000, 1_000_000]) {
    const p = payload((w) => w.u8(1).u32(n));
    // The check before the loop says so; a loop over the entries would end "truncated".
    badFrame(() => decodeMessage(FrameType.LIST_ENTRIES, p), "listing count exceeds payload");
  }
  // One entry needs at least 18 bytes: 17 are not enough.
  const short = payload((w) => w.u8(1).u32(1).str("").u64(0).raw(new Uint8Array(7)));
  badFrame(() => decodeMessage(FrameType.LIST_ENTRIES, short));
  const exact = payload((w) => w.u8(1).u32(1).str("").u64(0).u64(0));
  assert.deepEqual(decodeMessage(FrameType.LIST_ENTRIES, exact), {
    type: "LIST_ENTRIES",
    last: true,
    entries: [{ name: "", size: 0, mtimeMs: 0 }],
  });
});

Deno.test("the wire table numbers exactly the error family's codes, each once", () => {
  assert.deepEqual(Object.keys(WIRE_ERROR_CODES).sort(), Object.keys(ERROR_CODES).sort());
  const numbers = Object.values(WIRE_ERROR_CODES);
  assert.equal(new Set(numbers).size, numbers.length);
});

Deno.test("ERROR carries every code; an unknown wire code reads as INTERNAL", () => {
  for (const code of Object.keys(ERROR_CODES) as ErrorCodeName[]) {
    const m: Message = { type: "ERROR", code, message: `m ${code}` };
    assert.deepEqual(decodeMessage(FrameType.ERROR, encodePayload(m)), m);
  }
  const p = payload((w) => w.u16(0xbeef).str("?"));
  assert.deepEqual(decodeMessage(FrameType.ERROR, p), {
    type: "ERROR",
    code: "INTERNAL",
    message: "?",
  });
});

Deno.test("errorMessage turns a NetkitError into an ERROR message", () => {
  assert.deepEqual(errorMessage(new NetkitError("EXISTS", "a: already exists")), {
    type: "ERROR",
    code: "EXISTS",
    message: "a: already exists",
  });
});

Deno.test("FieldWriter refuses integers its field cannot hold", async (t) => {
  const cases: [string, (w: FieldWriter) => unknown][] = [
    ["u8(256)", (w) => w.u8(256)],
    ["u8(-1)", (w) => w.u8(-1)],
    ["u8(1.5)", (w) => w.u8(1.5)],
    ["u16(65536)", (w) => w.u16(65536)],
    ["u16(NaN)", (w) => w.u16(NaN)],
    ["u32(2^32)", (w) => w.u32(2 ** 32)],
    ["u32(-1)", (w) => w.u32(-1)],
    ["u64(-1)", (w) => w.u64(-1)],
    ["u64(2^53)", (w) => w.u64(2 ** 53)],
    ["u64(0.5)", (w) => w.u64(0.5)],
    ["bytes16(64 KiB)", (w) => w.bytes16(new Uint8Array(65536))],
    ["str(64 KiB)", (w) => w.str("é".repeat(32768))],
  ];
  for (const [what, fn] of cases) {
    await t.step(what, () => {
      assert.throws(() => fn(new FieldWriter()), RangeError);
    });
  }
  await t.step("HELLO with 256 hash names", () => {
    const m: Message = {
      type: "HELLO",
      version: 1,
      hashes: Array.from({ length: 256 }, (_, i) => `h${i}`),
      token: new Uint8Array(0),
      client: "",
    };
    assert.throws(() => encodePayload(m), RangeError);
  });
  await t.step("limits themselves are fine", () => {
    const w = new FieldWriter(1).u8(255).u16(65535).u32(2 ** 32 - 1)
      .u64(Number.MAX_SAFE_INTEGER).bytes16(new Uint8Array(65535));
    const r = new FieldReader(w.bytes());
    assert.deepEqual(
      [r.u8(), r.u16(), r.u32(), r.u64(), r.bytes16().length],
      [255, 65535, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER, 65535],
    );
    r.end();
  });
});

Deno.test("FieldWriter grows from a tiny capacity without losing bytes", () => {
  const w = new FieldWriter(1);
  for (let i = 0; i < 1000; i++) w.u32(i).str(`s${i}`);
  const r = new FieldReader(w.bytes());
  for (let i = 0; i < 1000; i++) {
    assert.deepEqual(r.u32(), i);
    assert.equal(r.str(), `s${i}`);
  }
  r.end();
});

Deno.test("fuzz: decodeMessage on 20k random payloads throws only BAD_FRAME", () => {
  const rng = new Prng(0x5eed_2);
  const types = Object.values(FrameType) as FrameTypeValue[];
  const seeds = SAMPLES.map((m) => [frameTypeOf(m), encodePayload(m)] as const);
  let decoded = 0;
  for (let i = 0; i < 20_000; i++) {
    let type: FrameTypeValue;
    let p: Uint8Array;
    if (rng.next() < 0.5) {
      type = rng.pick(types);
      p = rng.bytes(rng.int(48));
      if (type === FrameType.HELLO && rng.next() < 0.5) {
        p = concat([HELLO_MAGIC, p]);
      }
    } else {
      // Mutate a valid payload: flip, cut or extend a few bytes.
      const [t, base] = rng.pick(seeds);
      type = t;
      p = base.slice();
      for (let k = rng.int(4); k >= 0; k--) {
        const op = rng.int(3);
        if (op === 0 && p.length > 0) p[rng.int(p.length)] = rng.int(256);
        if (op === 1) p = p.subarray(0, rng.int(p.length + 1));
        if (op === 2) p = concat([p, rng.bytes(1 + rng.int(4))]);
      }
    }
    let m: Message;
    try {
      m = decodeMessage(type, p);
    } catch (e) {
      if (!isNetkitError(e, "BAD_FRAME")) {
        throw new Error(
          `iteration ${i}: type ${type} payload [${p}] threw ${e}`,
        );
      }
      continue;
    }
    decoded++;
    // Whatever decodes must encode again and decode to the same message.
    assert.deepEqual(decodeMessage(type, encodePayload(m)), m, `iteration ${i}`);
  }
  assert.ok(decoded > 100, `the fuzz reached the success path (${decoded})`);
});
