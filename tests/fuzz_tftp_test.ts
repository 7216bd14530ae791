// Seeded fuzzing of what a TFTP peer sends: packets (random bytes and
// mutations of well-formed ones) and option negotiation on both sides.
// Properties, not only "no crash": only the typed error, round trips,
// bounds, and a server answer its own client accepts.

import assert from "node:assert/strict";
import { ProtocolError } from "../protocol/errors.ts";
import {
  decodePacket,
  encodePacket,
  MAX_BLKSIZE,
  MAX_OPTION_BYTES,
  MAX_OPTIONS,
  MAX_REQUEST_BYTES,
  MIN_BLKSIZE,
  type Packet,
} from "../protocol/tftp/packet.ts";
import {
  acceptOack,
  MAX_WINDOW_BYTES,
  negotiate,
  parseOptionNumber,
} from "../protocol/tftp/options.ts";
import { fuzz, mutate, stringOf } from "./fuzz.ts";
import type { Prng } from "./prng.ts";

const OPTION_NAMES = ["blksize", "windowsize", "timeout", "tsize", "BlkSize", "x", "multicast"];
const VALUES = ["0", "1", "7", "8", "512", "1468", "65464", "65465", "99999", "255", "256", "-1"];

function optionValue(rng: Prng): string {
  return rng.next() < 0.7
    ? rng.pick(VALUES)
    : stringOf(rng, ["0", "9", "1", " ", "a", "+", "é"], 1 + rng.int(12));
}

/** Up to `n` options with names from the known ones and values plausible or not. */
function randomOptions(rng: Prng, n: number): Map<string, string> {
  const options = new Map<string, string>();
  for (let i = 0; i < n; i++) options.set(rng.pick(OPTION_NAMES).toLowerCase(), optionValue(rng));
  return options;
}

/** A packet the encoder accepts. */
function randomPacket(rng: Prng): Packet {
  const text = (n: number) => stringOf(rng, ["a", "/", ".", "é", " ", "Z", "\u202e"], n);
  const options = () => {
    const m = new Map<string, string>();
    for (let i = rng.int(4); i > 0; i--) {
      m.set(rng.pick(OPTION_NAMES).toLowerCase(), rng.pick(VALUES));
    }
    return m;
  };
  switch (rng.int(5)) {
    case 0:
      return {
        op: rng.pick(["RRQ", "WRQ"] as const),
        filename: text(1 + rng.int(40)),
        mode: rng.pick(["octet", "netascii"] as const),
        options: options(),
      };
    case 1:
      return { op: "DATA", block: rng.int(65536), data: rng.bytes(rng.int(600)) };
    case 2:
      return { op: "ACK", block: rng.int(65536) };
    case 3:
      return { op: "ERROR", code: rng.int(9), message: text(rng.int(60)) };
    default: {
      const o = options();
      if (o.size === 0) o.set("blksize", "1024");
      return { op: "OACK", options: o };
    }
  }
}

/** decode, checking that only BAD_FRAME escapes and that what decodes stays in bounds. */
function decodeChecked(bytes: Uint8Array): Packet | null {
  let p: Packet;
  try {
    p = decodePacket(bytes);
  } catch (e) {
    assert.ok(e instanceof ProtocolError && e.code === "BAD_FRAME", `threw ${e}`);
    return null;
  }
  switch (p.op) {
    case "RRQ":
    case "WRQ":
      assert.ok(bytes.length <= MAX_REQUEST_BYTES);
      assert.ok(p.options.size <= MAX_OPTIONS);
      for (const [k, v] of p.options) {
        assert.equal(k, k.toLowerCase());
        assert.ok(k.length > 0 && k.length <= MAX_OPTION_BYTES && v.length <= MAX_OPTION_BYTES);
      }
      break;
    case "DATA":
      assert.ok(p.data.length <= MAX_BLKSIZE && p.block <= 0xffff);
      break;
    case "OACK":
      assert.ok(p.options.size >= 1);
      break;
  }
  return p;
}

/** The packet in plain values (a DATA view copied), for comparisons. */
function plain(p: Packet): unknown {
  return p.op === "DATA" ? { ...p, data: [...p.data] } : p;
}

fuzz("TFTP packets: only BAD_FRAME escapes, and what decodes re-encodes to itself", {
  iterations: 6_000,
  outcomes: ["refused", "RRQ", "WRQ", "DATA", "ACK", "ERROR", "OACK"],
}, (rng) => {
  const bytes = rng.next() < 0.3
    ? rng.bytes(rng.int(80))
    : mutate(rng, encodePacket(randomPacket(rng)), 6);
  if (rng.next() < 0.5 && bytes.length > 0) bytes[0] = 0; // a plausible opcode more often
  const p = decodeChecked(bytes);
  if (p === null) return "refused";
  const again = decodePacket(encodePacket(p));
  assert.deepEqual(plain(again), plain(p));
  return p.op;
});

fuzz(
  "TFTP packets: every packet the encoder takes decodes to itself",
  { iterations: 5_000 },
  (rng) => {
    const p = randomPacket(rng);
    assert.deepEqual(plain(decodePacket(encodePacket(p))), plain(p));
  },
);

fuzz("TFTP options: the server grants within its limits, and its own client accepts the OACK", {
  iterations: 10_000,
  outcomes: ["too large", "acknowledged", "no OACK"],
}, (rng) => {
  const requested = randomOptions(rng, rng.int(6));
  const kind = rng.pick(["read", "write"] as const);
  const limits = {
    maxBlksize: rng.pick([512, 1468, 8192, MAX_BLKSIZE, 100_000]),
    maxWindowsize: rng.pick([1, 4, 64, 65535]),
    maxWriteSize: rng.pick([0, 1000, 1 << 30, Infinity]),
  };
  const ctx = {
    kind,
    mode: rng.pick(["octet", "netascii"] as const),
    fileSize: rng.int(1 << 20),
  };
  let result;
  try {
    result = negotiate(requested, ctx, limits);
  } catch (e) {
    // Only a write announcing more than the limit is refused.
    assert.ok(e instanceof ProtocolError && e.code === "TOO_LARGE", String(e));
    assert.equal(kind, "write");
    assert.ok(Number(requested.get("tsize")) > limits.maxWriteSize);
    return "too large";
  }
  const { reply, params } = result;
  const keys = [...requested.keys()].filter((k) => reply.has(k));
  assert.deepEqual([...reply.keys()], keys, "the OACK holds requested options, in order");
  assert.ok(
    params.blksize >= MIN_BLKSIZE && params.blksize <= Math.min(limits.maxBlksize, MAX_BLKSIZE),
  );
  if (!reply.has("blksize")) assert.equal(params.blksize, 512);
  assert.ok(params.windowsize >= 1 && params.windowsize <= limits.maxWindowsize);
  if (kind === "write" && params.windowsize > 1) {
    assert.ok(params.windowsize * params.blksize <= MAX_WINDOW_BYTES);
  }
  assert.ok(
    params.timeoutMs === null || (params.timeoutMs >= 1000 && params.timeoutMs <= 255_000),
  );
  if (reply.size > 0) {
    const client = acceptOack(requested, reply);
    assert.equal(client.blksize, params.blksize);
    assert.equal(client.windowsize, params.windowsize);
    assert.equal(client.timeoutMs, params.timeoutMs);
    assert.equal(client.tsize, params.tsize);
    return "acknowledged";
  }
  return "no OACK";
});

fuzz("TFTP options: a client refuses, with BAD_FRAME only, any OACK beyond what it asked", {
  iterations: 10_000,
  outcomes: ["accepted", "refused"],
}, (rng) => {
  const requested = randomOptions(rng, rng.int(5));
  const oack = randomOptions(rng, 1 + rng.int(4));
  try {
    const p = acceptOack(requested, oack);
    for (const k of oack.keys()) assert.ok(requested.has(k), `accepted unasked ${k}`);
    const asked = parseOptionNumber(requested.get("blksize") ?? "");
    if (oack.has("blksize") && asked !== null) assert.ok(p.blksize <= asked);
    assert.ok(p.blksize >= MIN_BLKSIZE && p.windowsize >= 1);
    return "accepted";
  } catch (e) {
    assert.ok(e instanceof ProtocolError && e.code === "BAD_FRAME", String(e));
    return "refused";
  }
});

fuzz("TFTP option numbers: plain decimal only, and canonical ones round-trip", {
  iterations: 10_000,
  outcomes: ["refused", "number"],
}, (rng) => {
  const text = stringOf(rng, ["0", "1", "5", "9", " ", "-", "+", "e", ".", "x"], rng.int(13));
  const n = parseOptionNumber(text);
  if (n === null) return "refused";
  assert.match(text, /^[0-9]{1,10}$/);
  assert.ok(Number.isSafeInteger(n) && n >= 0 && n < 1e10);
  assert.equal(String(n).padStart(text.length, "0"), text);
  return "number";
});
