// netkit's TFTP client against netkit's TFTP server over real UDP sockets:
// sizes, block sizes, windows, rollover, netascii, and upload rules.
import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { tftpPut } from "../tftp/client.ts";
import { isNetkitError } from "../core/errors.ts";
import { windowWithinBudget } from "../protocol/tftp/options.ts";
import {
  getToMemory,
  listNames,
  logWaiter,
  memorySource,
  pseudoRandomBytes,
  putFromMemory,
  startServer,
  tempDir,
} from "./tftp_helpers.ts";

const client = (port: number, extra = {}) => ({
  hostname: "127.0.0.1",
  port,
  timeoutMs: 200,
  retries: 5,
  ...extra,
});

const getBytes = (port: number, name: string, extra = {}) => getToMemory(name, client(port, extra));

Deno.test("tftp: get returns the exact bytes for sizes around block edges", async () => {
  await using dir = await tempDir();
  await using server = await startServer(dir.path);
  const sizes = [0, 1, 511, 512, 513, 1024, 5000];
  for (const size of sizes) {
    const data = pseudoRandomBytes(size, size + 1);
    await Deno.writeFile(`${dir.path}/f${size}`, data);
    const got = await getBytes(server.addr.port, `f${size}`);
    assertSameBytes(got.data, data, `size ${size}`);
    // An exact multiple of 512 ends with an extra empty block.
    assert.equal(got.blocks, Math.floor(size / 512) + 1, `blocks of ${size}`);
  }
});

Deno.test("tftp: blksize and windowsize options are negotiated and used", async () => {
  await using dir = await tempDir();
  await using server = await startServer(dir.path);
  const data = pseudoRandomBytes(300_000, 7);
  await Deno.writeFile(`${dir.path}/big`, data);
  for (
    const [blksize, windowsize] of [[8, 64], [1428, 1], [1428, 16], [
      65464,
      4,
    ], [65464, 1]]
  ) {
    const got = await getBytes(server.addr.port, "big", {
      blksize,
      windowsize,
    });
    assertSameBytes(got.data, data, `blksize ${blksize} window ${windowsize}`);
    assert.equal(got.params.blksize, blksize);
    // A download never asks for more than fits the receive budget.
    assert.equal(
      got.params.windowsize,
      windowWithinBudget(windowsize, blksize),
    );
    assert.equal(got.params.tsize, data.length);
  }
});

Deno.test("tftp: the server clamps blksize and windowsize to its limits", async () => {
  await using dir = await tempDir();
  await using server = await startServer(dir.path, {
    maxBlksize: 1024,
    maxWindowsize: 4,
  });
  const data = pseudoRandomBytes(10_000, 3);
  await Deno.writeFile(`${dir.path}/f`, data);
  const big = await getBytes(server.addr.port, "f", { blksize: 65464 });
  assertSameBytes(big.data, data);
  assert.equal(big.params.blksize, 1024);
  const wide = await getBytes(server.addr.port, "f", { windowsize: 64 });
  assertSameBytes(wide.data, data);
  assert.equal(wide.params.windowsize, 4);
});

Deno.test("tftp: block numbers roll over past 65535 (blksize 8, 70000 blocks)", async () => {
  await using dir = await tempDir();
  await using server = await startServer(dir.path);
  const data = pseudoRandomBytes(8 * 70_000 + 3, 11);
  await Deno.writeFile(`${dir.path}/roll`, data);
  const got = await getBytes(server.addr.port, "roll", {
    blksize: 8,
    windowsize: 64,
  });
  assert.equal(got.blocks, 70_001);
  assertSameBytes(got.data, data);
  // And the other way.
  await using w = await startServer(dir.path, { allowWrite: true });
  await putFromMemory("roll-up", data, client(w.addr.port, { blksize: 8, windowsize: 64 }));
  assertSameBytes(await Deno.readFile(`${dir.path}/roll-up`), data);
});

Deno.test("tftp: netascii converts line ends on the wire and back", async () => {
  await using dir = await tempDir();
  await using server = await startServer(dir.path, { allowWrite: true });
  const text = new TextEncoder().encode(
    "one\ntwo\r\nthree\rfour\n".repeat(100),
  );
  await Deno.writeFile(`${dir.path}/t.txt`, text);
  const got = await getBytes(server.addr.port, "t.txt", { mode: "netascii" });
  assertSameBytes(got.data, text);
  assert.ok(got.bytes > text.length, "the wire form is longer (CR LF)");
  await tftpPut(
    "t2.txt",
    memorySource(text, 7),
    text.length,
    client(server.addr.port, { mode: "netascii" }),
  );
  assertSameBytes(await Deno.readFile(`${dir.path}/t2.txt`), text);
});

Deno.test("tftp: uploads need --allow-write and are create-only unless --overwrite", async () => {
  await using dir = await tempDir();
  const data = pseudoRandomBytes(2000, 5);
  {
    await using ro = await startServer(dir.path);
    await assert.rejects(
      putFromMemory("a", data, client(ro.addr.port)),
      (e) => isNetkitError(e, "FORBIDDEN") && /peer error 2/.test(e.message),
    );
    assert.deepEqual(await listNames(dir.path), []);
  }
  {
    await using rw = await startServer(dir.path, { allowWrite: true });
    const port = rw.addr.port;
    await putFromMemory("a", data, client(port));
    assert.deepEqual(await Deno.readFile(`${dir.path}/a`), data);
    await assert.rejects(
      tftpPut("a", memorySource(data.subarray(1)), null, client(port)),
      (e) => isNetkitError(e, "EXISTS") && /peer error 6/.test(e.message),
    );
    assert.deepEqual(await Deno.readFile(`${dir.path}/a`), data);
  }
  {
    await using ow = await startServer(dir.path, {
      allowWrite: true,
      overwrite: true,
    });
    await tftpPut(
      "a",
      memorySource(data.subarray(1)),
      null,
      client(ow.addr.port),
    );
    assert.deepEqual(await Deno.readFile(`${dir.path}/a`), data.subarray(1));
  }
  assert.deepEqual(await listNames(dir.path), ["a"]);
});

Deno.test("tftp: uploads go into existing subfolders only, inside the jail", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/sub`);
  await using rw = await startServer(dir.path, { allowWrite: true });
  const port = rw.addr.port;
  const data = pseudoRandomBytes(100, 1);
  await putFromMemory("sub/x", data, client(port));
  await putFromMemory("/sub/y", data, client(port));
  assert.deepEqual(await listNames(`${dir.path}/sub`), ["x", "y"]);
  for (const name of ["nosub/x", "../x", "sub/../../x", ".hidden", "sub"]) {
    await assert.rejects(
      putFromMemory(name, data, client(port)),
      (e) => isNetkitError(e) && /peer error [126]/.test(e.message),
      name,
    );
  }
  assert.deepEqual(await listNames(dir.path), ["sub"]);
});

Deno.test("tftp: the max write size is enforced with or without tsize; nothing is left", async () => {
  await using dir = await tempDir();
  const logs = logWaiter();
  await using rw = await startServer(dir.path, {
    allowWrite: true,
    maxWriteSize: 1000,
    log: logs.log,
  });
  const data = pseudoRandomBytes(3000, 2);
  await assert.rejects(
    putFromMemory("big", data, client(rw.addr.port)),
    (e) => isNetkitError(e, "NO_SPACE") && /peer error 3/.test(e.message),
  );
  await assert.rejects(
    tftpPut("big", memorySource(data), null, client(rw.addr.port)),
    (e) => isNetkitError(e, "NO_SPACE"),
  );
  await logs.waitFor(/WRQ "big".*over/);
  assert.deepEqual(await listNames(dir.path), []);
  await putFromMemory("ok", data.subarray(0, 1000), client(rw.addr.port));
  assert.deepEqual(await listNames(dir.path), ["ok"]);
});

Deno.test("tftp: reads refuse what the jail refuses", async () => {
  await using dir = await tempDir();
  await using outside = await tempDir();
  await Deno.writeTextFile(`${outside.path}/secret`, "s");
  await Deno.writeTextFile(`${dir.path}/.hidden`, "h");
  await Deno.symlink(`${outside.path}/secret`, `${dir.path}/link`);
  await Deno.mkdir(`${dir.path}/folder`);
  await using server = await startServer(dir.path);
  const cases: [string, RegExp][] = [
    ["missing", /peer error 1/],
    ["../secret", /peer error 2/],
    ["link", /peer error 2/],
    [".hidden", /peer error 2/],
    ["folder", /peer error 1/],
    [`${outside.path}/secret`, /peer error 1/], // a leading / means the root
    ["a\\b", /peer error 2/],
  ];
  for (const [name, re] of cases) {
    await assert.rejects(
      getBytes(server.addr.port, name),
      (e) => isNetkitError(e) && re.test(e.message),
      name,
    );
  }
});

Deno.test("tftp: many transfers run at once", async () => {
  await using dir = await tempDir();
  await using server = await startServer(dir.path);
  const data = pseudoRandomBytes(200_000, 9);
  await Deno.writeFile(`${dir.path}/f`, data);
  const all = await Promise.all(
    Array.from(
      { length: 12 },
      (_, i) => getBytes(server.addr.port, "f", { blksize: 512 + i * 100 }),
    ),
  );
  for (const got of all) assert.deepEqual(got.data, data);
});

Deno.test("tftp: the client resolves a host name, preferring IPv4 (localhost)", async () => {
  await using dir = await tempDir();
  await using server = await startServer(dir.path);
  await Deno.writeFile(`${dir.path}/f`, new Uint8Array([1, 2, 3]));
  const got = await getToMemory("f", { hostname: "localhost", port: server.addr.port });
  assert.deepEqual(got.data, new Uint8Array([1, 2, 3]));
  await assert.rejects(
    getToMemory("f", { hostname: "no-such-host.invalid", port: 1 }),
    (e) => isNetkitError(e, "NOT_FOUND") && /cannot resolve/.test(e.message),
  );
});
