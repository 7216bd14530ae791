/**
 * Unit tests for the framing (`protocol/frame.ts`) and its stream adapter
 * (`protocol/frame_stream.ts`), over in-memory byte sources: no sockets.
 */

import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { isNetkitError } from "../core/errors.ts";
import { ProtocolError } from "../protocol/errors.ts";
import {
  DEFAULT_MAX_FRAME,
  encodeFrame,
  FrameType,
  HEADER_SIZE,
  parseHeader,
  writeHeader,
} from "../protocol/file/frame.ts";
import {
  type ByteSource,
  FrameReader,
  FrameWriter,
  type Incoming,
  writeAll,
} from "../protocol/file/frame_stream.ts";
import { encodeMessage, type Message } from "../protocol/file/messages.ts";
import { Prng } from "./prng.ts";
import { ChunkSource, concat, SAMPLES, ShortSink } from "./protocol_samples.ts";

/** What a reader saw: messages, and DATA frames as their payload bytes. */
type Seen = Message | { type: "DATA"; bytes: Uint8Array };

function dataFrame(payload: Uint8Array): Uint8Array {
  return encodeFrame(FrameType.DATA, payload);
}

/**
 * Reads every frame until a clean end, at most `limit` of them. With `idle`
 * (the reader's own source), the first bytes of each frame are read as a
 * server session does between requests: through `idleBuffer` and `received`.
 */
async function readAll(reader: FrameReader, limit = 1000, idle?: ByteSource): Promise<Seen[]> {
  const out: Seen[] = [];
  for (let i = 0; i < limit; i++) {
    const buf = idle ? reader.idleBuffer() : null;
    if (buf && !reader.received(await idle!.read(buf))) return out;
    const f: Incoming | null = await reader.next();
    if (f === null) return out;
    if (f.type === "DATA" && "length" in f) {
      const bytes = new Uint8Array(f.length);
      await reader.readData(bytes);
      out.push({ type: "DATA", bytes });
    } else {
      out.push(f as Message);
    }
  }
  throw new Error(`more than ${limit} frames`);
}

const DATA_A = Uint8Array.from({ length: 700 }, (_, i) => (i * 7) & 0xff);
const DATA_B = new Uint8Array([1, 2, 3]);

/** The expected frames and their bytes: every message type and DATA of several sizes. */
const EXPECTED: Seen[] = [
  ...SAMPLES.slice(0, 4),
  { type: "DATA", bytes: DATA_A },
  { type: "DATA", bytes: new Uint8Array(0) },
  ...SAMPLES.slice(4),
  { type: "DATA", bytes: DATA_B },
];
const STREAM = concat(
  EXPECTED.map((s) =>
    s.type === "DATA" && "bytes" in s ? dataFrame(s.bytes) : encodeMessage(s as Message)
  ),
);

/** A small stream for the quadratic split test. */
const SMALL: Seen[] = [
  { type: "LIST" },
  { type: "DATA", bytes: DATA_B },
  { type: "GET", name: "a", offset: 7 },
  { type: "ERROR", code: "BUSY", message: "later" },
];
const SMALL_STREAM = concat(
  SMALL.map((s) =>
    s.type === "DATA" && "bytes" in s ? dataFrame(s.bytes) : encodeMessage(s as Message)
  ),
);

/** Asserts that `p` rejects with a ProtocolError of `code` whose message includes `part`. */
async function rejectsWith(p: () => Promise<unknown>, code: string, part = ""): Promise<void> {
  await assert.rejects(
    p,
    (e: unknown) => e instanceof ProtocolError && e.code === code && e.message.includes(part),
  );
}

Deno.test("parseHeader: needs 5 bytes, reads big-endian length, works on offset views", () => {
  assert.equal(parseHeader(new Uint8Array(0), DEFAULT_MAX_FRAME), null);
  assert.equal(
    parseHeader(new Uint8Array([0x10, 0, 0, 0]), DEFAULT_MAX_FRAME),
    null,
  );
  const big = new Uint8Array([9, 9, 0x31, 0x00, 0x01, 0x02, 0x03, 9]);
  assert.deepEqual(parseHeader(big.subarray(2), 1 << 20), {
    type: FrameType.END,
    length: 0x010203,
  });
});

Deno.test("parseHeader: every unknown type byte is a BAD_FRAME", () => {
  const known = new Set<number>(Object.values(FrameType));
  for (let t = 0; t < 256; t++) {
    const h = new Uint8Array([t, 0, 0, 0, 0]);
    if (known.has(t)) {
      assert.deepEqual(parseHeader(h, 0)?.type, t);
    } else {
      assert.throws(
        () => parseHeader(h, 0),
        (e: unknown) =>
          e instanceof ProtocolError && e.code === "BAD_FRAME" && e.message.includes("unknown"),
      );
    }
  }
});

Deno.test("parseHeader: length at the limit passes, one past it and 4 GiB fail", () => {
  const h = new Uint8Array(5);
  writeHeader(h, FrameType.DATA, 1000);
  assert.equal(parseHeader(h, 1000)?.length, 1000);
  assert.throws(
    () => parseHeader(h, 999),
    (e: unknown) =>
      e instanceof ProtocolError && e.code === "BAD_FRAME" && e.message.includes("exceeds"),
  );
  writeHeader(h, FrameType.DATA, 0xffffffff);
  assert.equal(parseHeader(h, 0xffffffff)?.length, 0xffffffff);
  assert.throws(
    () => parseHeader(h, DEFAULT_MAX_FRAME),
    (e: unknown) => e instanceof ProtocolError && e.code === "BAD_FRAME",
  );
});

Deno.test("writeHeader: refuses lengths a u32 cannot hold; writes at an offset", () => {
  for (const bad of [-1, 2 ** 32, 1.5, NaN, Infinity]) {
    assert.throws(() => writeHeader(new Uint8Array(5), FrameType.LIST, bad), RangeError);
  }
  const out = new Uint8Array(8);
  writeHeader(out, FrameType.PUT, 0xa1b2c3d4, 2);
  assert.deepEqual(out, new Uint8Array([0, 0, 0x22, 0xa1, 0xb2, 0xc3, 0xd4, 0]));
  assert.deepEqual(
    encodeFrame(FrameType.DATA, new Uint8Array([7, 8])),
    new Uint8Array([0x30, 0, 0, 0, 2, 7, 8]),
  );
});

Deno.test("FrameReader: all frames merged in one chunk", async () => {
  assert.deepEqual(
    await readAll(new FrameReader(new ChunkSource([STREAM]))),
    EXPECTED,
  );
});

Deno.test("FrameReader: one byte per read", async () => {
  const chunks = Array.from(STREAM, (_, i) => STREAM.subarray(i, i + 1));
  assert.deepEqual(
    await readAll(new FrameReader(new ChunkSource(chunks))),
    EXPECTED,
  );
});

Deno.test("FrameReader: the stream split at every byte boundary", async () => {
  for (let cut = 0; cut <= STREAM.length; cut++) {
    const seen = await readAll(
      new FrameReader(ChunkSource.split(STREAM, [cut])),
    );
    assert.deepEqual(seen, EXPECTED, `cut at ${cut}`);
  }
});

Deno.test("FrameReader: a small stream split at every pair of boundaries", async () => {
  const n = SMALL_STREAM.length;
  for (let a = 0; a <= n; a++) {
    for (let b = a; b <= n; b++) {
      const seen = await readAll(
        new FrameReader(ChunkSource.split(SMALL_STREAM, [a, b])),
      );
      assert.deepEqual(seen, SMALL, `cuts at ${a}, ${b}`);
    }
  }
});

Deno.test("FrameReader: idle reads through idleBuffer, the stream split at every byte boundary", async () => {
  for (let cut = 0; cut <= STREAM.length; cut++) {
    const src = ChunkSource.split(STREAM, [cut]);
    assert.deepEqual(await readAll(new FrameReader(src), 1000, src), EXPECTED, `cut at ${cut}`);
  }
  const n = SMALL_STREAM.length;
  for (let a = 0; a <= n; a++) {
    for (let b = a; b <= n; b++) {
      const src = ChunkSource.split(SMALL_STREAM, [a, b]);
      assert.deepEqual(await readAll(new FrameReader(src), 1000, src), SMALL, `cuts at ${a}, ${b}`);
    }
  }
});

Deno.test("FrameReader: idleBuffer only while nothing is buffered or owed", async () => {
  const stream = concat([encodeMessage({ type: "LIST" }), dataFrame(DATA_B)]);
  const src = new ChunkSource([stream]);
  const reader = new FrameReader(src);
  const buf = reader.idleBuffer()!;
  assert.ok(buf.length >= HEADER_SIZE);
  // A read into it that was never handed out is refused.
  assert.throws(() => reader.received(buf.length + 1), RangeError);
  assert.ok(reader.received(await src.read(buf)));
  // The LIST and the DATA header arrived together: the next frame is buffered already.
  assert.deepEqual(await reader.next(), { type: "LIST" });
  assert.equal(reader.idleBuffer(), null);
  assert.deepEqual(await reader.next(), { type: "DATA", length: 3 });
  assert.equal(reader.idleBuffer(), null); // its payload is owed first
  await reader.readData(new Uint8Array(3));
  const again = reader.idleBuffer()!;
  assert.equal(reader.received(await src.read(again)), false); // a clean end
});

Deno.test("FrameReader: random chunkings from a seeded PRNG", async () => {
  const rng = new Prng(7);
  for (let i = 0; i < 300; i++) {
    const cuts: number[] = [];
    for (
      let at = rng.int(40);
      at < STREAM.length;
      at += 1 + rng.int(rng.pick([4, 40, 600]))
    ) {
      cuts.push(at);
    }
    assert.deepEqual(
      await readAll(new FrameReader(ChunkSource.split(STREAM, cuts))),
      EXPECTED,
    );
  }
});

Deno.test("FrameReader: readData fills a target view at a non-zero byteOffset", async () => {
  const reader = new FrameReader(new ChunkSource([dataFrame(DATA_A)]));
  const f = await reader.next();
  assert.deepEqual(f, { type: "DATA", length: DATA_A.length });
  const big = new Uint8Array(DATA_A.length + 20).fill(0xaa);
  await reader.readData(big.subarray(10, 10 + DATA_A.length));
  assert.deepEqual(big.subarray(10, 10 + DATA_A.length), DATA_A);
  assert.deepEqual(big.subarray(0, 10), new Uint8Array(10).fill(0xaa));
  assert.deepEqual(big.subarray(10 + DATA_A.length), new Uint8Array(10).fill(0xaa));
  assert.equal(await reader.next(), null);
});

Deno.test("FrameReader: an oversize header fails before any payload is read or allocated", async (t) => {
  for (
    const type of [FrameType.DATA, FrameType.LIST_ENTRIES, FrameType.HELLO]
  ) {
    await t.step(
      `type 0x${type.toString(16)} announcing 4 GiB - 1`,
      async () => {
        const header = new Uint8Array([type, 0xff, 0xff, 0xff, 0xff]);
        // Only the header is available: had the reader tried to buffer the
        // payload it would have needed more reads (or a 4 GiB allocation).
        const src = new ChunkSource([header]);
        await rejectsWith(() => new FrameReader(src).next(), "BAD_FRAME", "exceeds");
        assert.equal(src.reads, 1);
      },
    );
  }
  await t.step("a custom limit is honoured exactly", async () => {
    const ok = encodeFrame(FrameType.END, new Uint8Array(100));
    await rejectsWith(
      () => new FrameReader(new ChunkSource([ok]), 99).next(),
      "BAD_FRAME",
    );
    const m = await new FrameReader(
      new ChunkSource([
        concat([
          new Uint8Array([0x31, 0, 0, 0, 100, 0, 98]),
          new Uint8Array(98),
        ]),
      ]),
      100,
    ).next();
    assert.deepEqual(m, { type: "END", digest: new Uint8Array(98) });
  });
});

Deno.test("FrameReader: a stream cut inside any frame is CLOSED; cut between frames is a clean end", async () => {
  const frames = [
    encodeMessage(SAMPLES[0]),
    dataFrame(DATA_B),
    encodeMessage({ type: "LIST" }),
  ];
  const ends = new Set<number>([0]);
  let at = 0;
  for (const f of frames) ends.add(at += f.length);
  const stream = concat(frames);
  for (let n = 0; n < stream.length; n++) {
    const reader = new FrameReader(new ChunkSource([stream.subarray(0, n)]));
    const run = () => readAll(reader);
    if (ends.has(n)) {
      await run();
    } else {
      await rejectsWith(run, "CLOSED");
    }
  }
});

Deno.test("FrameReader: unknown types and trailing payload bytes are BAD_FRAME", async () => {
  const unknown = new Uint8Array([0x55, 0, 0, 0, 0]);
  await rejectsWith(
    () => new FrameReader(new ChunkSource([unknown])).next(),
    "BAD_FRAME",
  );
  const listWithByte = new Uint8Array([FrameType.LIST, 0, 0, 0, 1, 0]);
  await rejectsWith(
    () => new FrameReader(new ChunkSource([listWithByte])).next(),
    "BAD_FRAME",
  );
  // A valid frame ahead of the bad one is still delivered first.
  const reader = new FrameReader(
    new ChunkSource([concat([encodeMessage({ type: "QUIT" }), unknown])]),
  );
  assert.deepEqual(await reader.next(), { type: "QUIT" });
  await rejectsWith(() => reader.next(), "BAD_FRAME");
});

Deno.test("FrameReader: readData wants exactly the announced length, once", async () => {
  const stream = concat([
    dataFrame(DATA_B),
    dataFrame(new Uint8Array(0)),
    encodeMessage({ type: "BYE" }),
  ]);
  const reader = new FrameReader(new ChunkSource([stream]));
  assert.deepEqual(await reader.next(), { type: "DATA", length: 3 });
  // Asking for the next frame before the payload is consumed is a caller bug.
  await rejectsWith(() => reader.next(), "UNEXPECTED");
  await assert.rejects(() => reader.readData(new Uint8Array(2)), RangeError);
  await assert.rejects(() => reader.readData(new Uint8Array(4)), RangeError);
  const got = new Uint8Array(3);
  await reader.readData(got); // the failed attempts consumed nothing
  assert.deepEqual(got, DATA_B);
  await assert.rejects(() => reader.readData(new Uint8Array(3)), RangeError);
  // A zero-length DATA needs no readData.
  assert.deepEqual(await reader.next(), { type: "DATA", length: 0 });
  assert.deepEqual(await reader.next(), { type: "BYE" });
  assert.equal(await reader.next(), null);
  assert.equal(await reader.next(), null);
});

Deno.test("FrameWriter: short writes still put every byte on the wire in order", async () => {
  for (const maxWrite of [1, 3, 64, Infinity]) {
    const sink = new ShortSink(maxWrite);
    const w = new FrameWriter(sink);
    for (const m of SAMPLES) await w.send(m);
    const buf = new Uint8Array(HEADER_SIZE + DATA_A.length + 9);
    buf.set(DATA_A, HEADER_SIZE);
    await w.sendData(buf, DATA_A.length);
    // sendData on a view at a non-zero offset, with spare room after the payload.
    const outer = new Uint8Array(32).fill(0xcc);
    const view = outer.subarray(4, 4 + HEADER_SIZE + 3 + 5);
    view.set(DATA_B, HEADER_SIZE);
    await w.sendData(view, 3);
    assert.deepEqual(
      outer.subarray(0, 4),
      new Uint8Array(4).fill(0xcc),
      "bytes before the view untouched",
    );
    const expected = concat([
      ...SAMPLES.map(encodeMessage),
      dataFrame(DATA_A),
      dataFrame(DATA_B),
    ]);
    assertSameBytes(sink.bytes(), expected, `maxWrite ${maxWrite}`);
    const seen = await readAll(
      new FrameReader(new ChunkSource([sink.bytes()])),
    );
    assert.equal(seen.length, SAMPLES.length + 2);
  }
  const sink = new ShortSink(2);
  await writeAll(sink, new Uint8Array(0));
  assert.equal(sink.writes, 0);
});

Deno.test("FrameWriter.sendData refuses a length its buffer does not hold", () => {
  const sink = new ShortSink();
  const w = new FrameWriter(sink);
  const buf = new Uint8Array(HEADER_SIZE + 10);
  for (const bad of [11, 1000, -1, 1.5]) {
    assert.throws(() => w.sendData(buf, bad), RangeError);
  }
  assert.throws(() => w.sendData(new Uint8Array(3), 0), RangeError);
  assert.equal(sink.writes, 0, "nothing half-sent");
});

Deno.test("fuzz: 20k random streams end cleanly or with BAD_FRAME/CLOSED, never hang", async () => {
  const rng = new Prng(0xf0_22);
  const types = Object.values(FrameType) as number[];
  const valid = [...SAMPLES.map(encodeMessage), dataFrame(DATA_B)];
  const codes = new Map<string, number>();
  // Never hangs by construction: a finite source, and readAll reads a bounded number of frames.
  for (let i = 0; i < 20_000; i++) {
    const parts: Uint8Array[] = [];
    for (let k = rng.int(4); k >= 0; k--) {
      const r = rng.next();
      if (r < 0.3) {
        parts.push(rng.bytes(rng.int(24)));
      } else if (r < 0.6) {
        // A plausible header with a small length and random payload.
        const len = rng.int(40);
        const h = new Uint8Array(HEADER_SIZE);
        writeHeader(
          h,
          rng.pick(types) as typeof FrameType.LIST,
          rng.next() < 0.1 ? rng.int(2 ** 32) : len,
        );
        parts.push(h, rng.bytes(rng.int(len + 4)));
      } else {
        const f = rng.pick(valid).slice();
        if (rng.next() < 0.5) f[rng.int(f.length)] ^= 1 << rng.int(8);
        parts.push(f);
      }
    }
    const bytes = concat(parts);
    const cuts: number[] = [];
    for (let at = 1 + rng.int(8); at < bytes.length; at += 1 + rng.int(8)) {
      cuts.push(at);
    }
    const reader = new FrameReader(ChunkSource.split(bytes, cuts), 1 << 16);
    try {
      await readAll(reader, bytes.length + 1);
      codes.set("ok", (codes.get("ok") ?? 0) + 1);
    } catch (e) {
      if (
        !isNetkitError(e) ||
        (e.code !== "BAD_FRAME" && e.code !== "CLOSED")
      ) {
        throw new Error(
          `iteration ${i}: [${bytes}] cut at [${cuts}] threw ${e}`,
        );
      }
      codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
    }
  }
  // Every outcome was reached, so the fuzz is not stuck on one path.
  for (const c of ["ok", "BAD_FRAME", "CLOSED"]) {
    assert.ok((codes.get(c) ?? 0) > 100, `${c}: ${codes.get(c)}`);
  }
});
