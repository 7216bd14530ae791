import assert from "node:assert/strict";
import {
  acceptOack,
  MAX_WINDOW_BYTES,
  negotiate,
  parseOptionNumber,
  windowWithinBudget,
} from "../protocol/tftp/options.ts";
import { isNetkitError } from "../core/errors.ts";

const read = { kind: "read", mode: "octet", fileSize: 1234 } as const;
const write = { kind: "write", mode: "octet" } as const;

function ask(...pairs: [string, string][]): Map<string, string> {
  return new Map(pairs);
}

Deno.test("tftp options: no options means no OACK and RFC 1350 defaults", () => {
  const n = negotiate(new Map(), read);
  assert.equal(n.reply.size, 0);
  assert.deepEqual(n.params, {
    blksize: 512,
    windowsize: 1,
    timeoutMs: null,
    tsize: null,
  });
});

Deno.test("tftp options: the OACK holds only the options asked for, in order", () => {
  const n = negotiate(
    ask(["tsize", "0"], ["foo", "bar"], ["blksize", "1428"]),
    read,
  );
  assert.deepEqual([...n.reply], [["tsize", "1234"], ["blksize", "1428"]]);
  assert.equal(n.params.blksize, 1428);
  assert.equal(n.params.tsize, 1234);
});

Deno.test("tftp options: blksize 0, 7 and abc are not acknowledged; 65465 is clamped", () => {
  for (
    const v of ["0", "7", "abc", "", "-8", "+512", " 512", "1e3", "99999999999"]
  ) {
    const n = negotiate(ask(["blksize", v]), read);
    assert.equal(n.reply.size, 0, v);
    assert.equal(n.params.blksize, 512, v);
  }
  assert.equal(negotiate(ask(["blksize", "8"]), read).params.blksize, 8);
  const big = negotiate(ask(["blksize", "65465"]), read);
  assert.equal(big.reply.get("blksize"), "65464");
  assert.equal(
    negotiate(ask(["blksize", "65464"]), read, { maxBlksize: 1468 }).reply.get(
      "blksize",
    ),
    "1468",
  );
});

Deno.test("tftp options: windowsize and timeout bounds", () => {
  assert.equal(negotiate(ask(["windowsize", "0"]), read).reply.size, 0);
  assert.equal(
    negotiate(ask(["windowsize", "16"]), read).reply.get("windowsize"),
    "16",
  );
  assert.equal(
    negotiate(ask(["windowsize", "65535"]), read, { maxWindowsize: 32 }).params
      .windowsize,
    32,
  );
  assert.equal(negotiate(ask(["timeout", "0"]), read).reply.size, 0);
  assert.equal(negotiate(ask(["timeout", "256"]), read).reply.size, 0);
  const t = negotiate(ask(["timeout", "3"]), read);
  assert.equal(t.reply.get("timeout"), "3");
  assert.equal(t.params.timeoutMs, 3000);
});

Deno.test("tftp options: tsize answers the size on read, echoes and checks on write", () => {
  assert.equal(
    negotiate(ask(["tsize", "0"]), { ...read, mode: "netascii" }).reply.size,
    0,
  );
  const w = negotiate(ask(["tsize", "5000"]), write, { maxWriteSize: 5000 });
  assert.equal(w.reply.get("tsize"), "5000");
  assert.throws(
    () => negotiate(ask(["tsize", "5001"]), write, { maxWriteSize: 5000 }),
    (e) => isNetkitError(e, "TOO_LARGE"),
  );
});

Deno.test("tftp options: the client refuses an OACK beyond its request", () => {
  const req = ask(["blksize", "1428"], ["windowsize", "8"], ["tsize", "0"]);
  const ok = acceptOack(req, ask(["blksize", "1024"], ["tsize", "99"]));
  assert.deepEqual(ok, {
    blksize: 1024,
    windowsize: 1,
    timeoutMs: null,
    tsize: 99,
  });
  const bad: [string, string][] = [
    ["blksize", "1429"],
    ["blksize", "7"],
    ["windowsize", "9"],
    ["windowsize", "0"],
    ["timeout", "5"],
    ["tsize", "x"],
  ];
  for (const pair of bad) {
    assert.throws(
      () => acceptOack(req, ask(pair)),
      (e) => isNetkitError(e, "BAD_FRAME"),
      pair.join("="),
    );
  }
});

Deno.test("tftp options: parseOptionNumber takes plain digits only", () => {
  assert.equal(parseOptionNumber("0"), 0);
  assert.equal(parseOptionNumber("0065464"), 65464);
  assert.equal(parseOptionNumber("1.5"), null);
  assert.equal(parseOptionNumber("12345678901"), null);
  assert.equal(parseOptionNumber("0x10"), null);
});

Deno.test("tftp options: a write's window is kept within the receive budget", () => {
  assert.equal(windowWithinBudget(16, 65464), 2);
  assert.equal(windowWithinBudget(16, 1428), 16);
  assert.equal(windowWithinBudget(1000, 8), 1000);
  assert.equal(windowWithinBudget(4, MAX_WINDOW_BYTES + 1), 1);
  const w = negotiate(ask(["windowsize", "16"], ["blksize", "65464"]), write);
  assert.deepEqual([...w.reply], [["windowsize", "2"], ["blksize", "65464"]]);
  const r = negotiate(ask(["windowsize", "16"], ["blksize", "65464"]), read);
  assert.equal(r.reply.get("windowsize"), "16");
});
