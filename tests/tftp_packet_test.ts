import assert from "node:assert/strict";
import {
  absoluteBlock,
  decodePacket,
  encodePacket,
  MAX_BLKSIZE,
  type Packet,
  wireBlock,
} from "../protocol/tftp/packet.ts";
import {
  NetasciiDecoder,
  netasciiEncode,
  netasciiEncodedLength,
} from "../protocol/tftp/netascii.ts";
import { isNetkitError } from "../core/errors.ts";

const enc = new TextEncoder();

function bytes(...parts: (number | string)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") out.push(p);
    else out.push(...enc.encode(p));
  }
  return new Uint8Array(out);
}

function assertBad(b: Uint8Array, why?: RegExp): void {
  assert.throws(
    () => decodePacket(b),
    (e) => isNetkitError(e, "BAD_FRAME") && (!why || why.test(e.message)),
  );
}

Deno.test("tftp packet: every kind round-trips through encode and decode", () => {
  const packets: Packet[] = [
    {
      op: "RRQ",
      filename: "boot/pxelinux.0",
      mode: "octet",
      options: new Map([["blksize", "1428"], ["tsize", "0"]]),
    },
    { op: "WRQ", filename: "é.txt", mode: "netascii", options: new Map() },
    { op: "DATA", block: 65535, data: new Uint8Array([1, 2, 3]) },
    { op: "DATA", block: 0, data: new Uint8Array(0) },
    { op: "ACK", block: 0 },
    { op: "ACK", block: 65535 },
    { op: "ERROR", code: 1, message: "File not found" },
    { op: "OACK", options: new Map([["windowsize", "16"]]) },
  ];
  for (const p of packets) assert.deepEqual(decodePacket(encodePacket(p)), p);
});

Deno.test("tftp packet: decodes from a view with a non-zero byteOffset", () => {
  const inner = encodePacket({ op: "ACK", block: 258 });
  const outer = new Uint8Array(inner.length + 7);
  outer.set(inner, 7);
  assert.deepEqual(decodePacket(outer.subarray(7)), { op: "ACK", block: 258 });
});

Deno.test("tftp packet: requests lower-case option names and modes", () => {
  const p = decodePacket(
    bytes(0, 1, "f", 0, "OcTeT", 0, "BLKSIZE", 0, "1024", 0),
  );
  assert.equal(p.op, "RRQ");
  if (p.op !== "RRQ") return;
  assert.equal(p.mode, "octet");
  assert.deepEqual([...p.options], [["blksize", "1024"]]);
});

Deno.test("tftp packet: refuses truncated, garbage and malformed requests", () => {
  assertBad(bytes(), /shorter/);
  assertBad(bytes(0), /shorter/);
  assertBad(bytes(0, 9), /opcode/);
  assertBad(bytes(255, 255, 1, 2), /opcode/);
  assertBad(bytes(0, 1), /NUL/);
  assertBad(bytes(0, 1, "file"), /NUL/);
  assertBad(bytes(0, 1, "file", 0), /mode/);
  assertBad(bytes(0, 1, "file", 0, "octet"), /NUL/);
  assertBad(bytes(0, 2, "file", 0, "binary", 0), /mode/);
  assertBad(bytes(0, 1, "f", 0, "octet", 0, "blksize", 0), /without a value/);
  assertBad(
    bytes(0, 1, "f", 0, "octet", 0, "blksize", 0, "8", 0, "BlkSize", 0, "9", 0),
    /twice/,
  );
  assertBad(bytes(0, 1, "f", 0, "octet", 0, "", 0, "8", 0), /empty option/);
  assertBad(bytes(0, 1, 0xff, 0xfe, 0, "octet", 0), /UTF-8/);
  assertBad(bytes(0, 1, "f", 0, "octet", 0, "x".repeat(65), 0, "1", 0), /long/);
  const many: (number | string)[] = [0, 1, "f", 0, "octet", 0];
  for (let i = 0; i < 17; i++) many.push(`o${i}`, 0, "1", 0);
  assertBad(bytes(...many), /too many/);
  assertBad(bytes(0, 1, "a".repeat(5000), 0, "octet", 0), /too long/);
});

Deno.test("tftp packet: refuses malformed DATA, ACK, OACK", () => {
  assertBad(bytes(0, 3, 0), /block/);
  assertBad(new Uint8Array(4 + MAX_BLKSIZE + 1).fill(3, 1, 2), /too large/);
  assertBad(bytes(0, 4, 0), /ACK/);
  assertBad(bytes(0, 4, 0, 1, 0), /ACK/);
  assertBad(bytes(0, 6), /NUL/);
  assertBad(bytes(0, 6, 0), /without a value/);
  assertBad(bytes(0, 5, 0), /code/);
});

Deno.test("tftp packet: ERROR tolerates a missing NUL and caps the message", () => {
  assert.deepEqual(decodePacket(bytes(0, 5, 0, 2, "denied")), {
    op: "ERROR",
    code: 2,
    message: "denied",
  });
  const long = decodePacket(bytes(0, 5, 0, 0, "x".repeat(2000), 0));
  assert.equal(long.op === "ERROR" && long.message.length, 512);
  assert.deepEqual(decodePacket(bytes(0, 5, 0, 0)), {
    op: "ERROR",
    code: 0,
    message: "",
  });
});

Deno.test("tftp packet: random garbage never throws anything but BAD_FRAME", () => {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; i < 5000; i++) {
    const b = new Uint8Array(rand() % 40);
    for (let j = 0; j < b.length; j++) b[j] = rand() & 0xff;
    if (b.length >= 2) b[0] = 0, b[1] = rand() % 8; // mostly valid opcodes
    try {
      decodePacket(b);
    } catch (e) {
      assert.ok(isNetkitError(e, "BAD_FRAME"), String(e));
    }
  }
});

Deno.test("tftp packet: every prefix of a valid request is refused", () => {
  const full = encodePacket({
    op: "WRQ",
    filename: "a/b.bin",
    mode: "octet",
    options: new Map([["tsize", "100"], ["blksize", "1428"]]),
  });
  for (let n = 0; n < full.length; n++) {
    const prefix = full.subarray(0, n);
    // A prefix ending exactly after "a/b.bin\0octet\0" is itself valid.
    const text = new TextDecoder().decode(prefix.subarray(2));
    if (
      text === "a/b.bin\x00octet\x00" ||
      text === "a/b.bin\x00octet\x00tsize\x00100\x00"
    ) {
      continue;
    }
    assertBad(prefix);
  }
});

Deno.test("tftp packet: encode refuses values the wire cannot carry", () => {
  assert.throws(() => encodePacket({ op: "ACK", block: 65536 }), RangeError);
  assert.throws(() => encodePacket({ op: "ACK", block: -1 }), RangeError);
  assert.throws(
    () =>
      encodePacket({
        op: "RRQ",
        filename: "a\0b",
        mode: "octet",
        options: new Map(),
      }),
    RangeError,
  );
  assert.throws(
    () =>
      encodePacket({
        op: "DATA",
        block: 1,
        data: new Uint8Array(MAX_BLKSIZE + 1),
      }),
    RangeError,
  );
  const e = encodePacket({ op: "ERROR", code: 0, message: "a\0b" });
  assert.deepEqual(decodePacket(e), { op: "ERROR", code: 0, message: "a b" });
});

Deno.test("tftp packet: block numbers roll over past 65535", () => {
  assert.equal(wireBlock(65535), 65535);
  assert.equal(wireBlock(65536), 0);
  assert.equal(wireBlock(65537), 1);
  assert.equal(absoluteBlock(0, 65530), 65536);
  assert.equal(absoluteBlock(65535, 65530), 65535);
  assert.equal(absoluteBlock(5, 65530), 65541);
  assert.equal(absoluteBlock(3, 3 * 65536), 3 * 65536 + 3);
});

Deno.test("tftp netascii: encode turns LF into CR LF and CR into CR NUL", () => {
  assert.deepEqual(netasciiEncode(bytes("a\nb\rc")), bytes("a\r\nb\r", 0, "c"));
  assert.equal(netasciiEncodedLength(bytes("a\nb\rc")), 7);
  const plain = bytes("plain");
  assert.equal(netasciiEncode(plain), plain);
});

Deno.test("tftp netascii: decode survives a CR split at every chunk boundary", () => {
  const local = bytes("line1\nline2\r\rx\n\n\r");
  const wire = netasciiEncode(local);
  for (let cut = 0; cut <= wire.length; cut++) {
    for (let cut2 = cut; cut2 <= wire.length; cut2++) {
      const d = new NetasciiDecoder();
      const parts = [
        d.push(wire.subarray(0, cut)),
        d.push(wire.subarray(cut, cut2)),
        d.push(wire.subarray(cut2)),
        d.end(),
      ];
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) out.set(p, at), at += p.length;
      assert.deepEqual(out, local, `cuts ${cut},${cut2}`);
    }
  }
});

Deno.test("tftp netascii: decode keeps a CR followed by another byte", () => {
  const d = new NetasciiDecoder();
  assert.deepEqual(d.push(bytes("a\rb\r")), bytes("a\rb"));
  assert.deepEqual(d.push(bytes("c")), bytes("\rc"));
  assert.deepEqual(d.end(), bytes());
});
