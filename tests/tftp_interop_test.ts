// Interop with real peers from Debian: the tftp-hpa client and curl against
// netkit's server, and netkit's client against tftpd-hpa. A missing peer
// makes its tests skip, and their names say so.
import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { isNetkitError } from "../core/errors.ts";
import {
  getToMemory,
  pseudoRandomBytes,
  putFromMemory,
  startServer,
  tempDir,
} from "./tftp_helpers.ts";
import { findProgram, run, startTftpd } from "./tftp_peers.ts";

const TFTP = findProgram("tftp");
const CURL = findProgram("curl");
const TFTPD = findProgram("in.tftpd");

function label(name: string, program: string | null, pkg: string): string {
  return program ? name : `${name} [SKIPPED: ${pkg} is not installed]`;
}

/** A file past block 65535 at blksize 512: 65536 * 512 + 100 bytes. */
const ROLLOVER_SIZE = 65536 * 512 + 100;

async function sameFile(a: string, b: string): Promise<void> {
  const [x, y] = await Promise.all([Deno.readFile(a), Deno.readFile(b)]);
  assert.equal(x.length, y.length, `${a} vs ${b}: sizes`);
  assert.ok(x.every((v, i) => v === y[i]), `${a} vs ${b}: contents`);
}

Deno.test({
  name: label(
    "tftp interop: tftp-hpa client gets and puts with netkit's server (512, past block 65535)",
    TFTP,
    "tftp-hpa",
  ),
  ignore: !TFTP,
  async fn() {
    await using root = await tempDir();
    await using local = await tempDir();
    await Deno.writeFile(`${root.path}/small`, pseudoRandomBytes(5000, 1));
    await Deno.writeFile(
      `${root.path}/roll`,
      pseudoRandomBytes(ROLLOVER_SIZE, 2),
    );
    await Deno.writeFile(`${local.path}/up`, pseudoRandomBytes(3000, 3));
    await using server = await startServer(root.path, { allowWrite: true });
    const port = String(server.addr.port);
    const tftp = (...cmd: string[]) =>
      run(TFTP!, ["-m", "binary", "127.0.0.1", port, "-c", ...cmd], {
        cwd: local.path,
      });
    for (const name of ["small", "roll"]) {
      const r = await tftp("get", name, `got-${name}`);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      await sameFile(`${root.path}/${name}`, `${local.path}/got-${name}`);
    }
    let r = await tftp("put", "up", "up");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await sameFile(`${local.path}/up`, `${root.path}/up`);
    r = await tftp("put", "got-roll", "roll-up");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await sameFile(`${root.path}/roll`, `${root.path}/roll-up`);
    // A refused upload (create-only) is reported by the client.
    r = await tftp("put", "up", "up");
    assert.match(r.stdout + r.stderr, /exists/i);
  },
});

Deno.test({
  name: label(
    "tftp interop: curl gets and puts with netkit's server at blksize 512, 1428, 65464 and past block 65535",
    CURL,
    "curl",
  ),
  ignore: !CURL,
  async fn() {
    await using root = await tempDir();
    await using local = await tempDir();
    const data = pseudoRandomBytes(1_000_000, 4);
    await Deno.writeFile(`${root.path}/f`, data);
    await Deno.writeFile(`${local.path}/f`, data);
    await Deno.writeFile(`${root.path}/exact`, pseudoRandomBytes(1428 * 3, 5));
    await Deno.writeFile(
      `${root.path}/roll`,
      pseudoRandomBytes(ROLLOVER_SIZE, 6),
    );
    await using server = await startServer(root.path, { allowWrite: true });
    const url = `tftp://127.0.0.1:${server.addr.port}`;
    const curl = (...args: string[]) => run(CURL!, ["-sS", ...args], { cwd: local.path });
    for (const bs of ["512", "1428", "65464"]) {
      let r = await curl("--tftp-blksize", bs, "-o", `g${bs}`, `${url}/f`);
      assert.equal(r.code, 0, r.stderr);
      await sameFile(`${root.path}/f`, `${local.path}/g${bs}`);
      r = await curl("--tftp-blksize", bs, "-T", "f", `${url}/p${bs}`);
      assert.equal(r.code, 0, r.stderr);
      await sameFile(`${local.path}/f`, `${root.path}/p${bs}`);
    }
    let r = await curl("--tftp-blksize", "1428", "-o", "exact", `${url}/exact`);
    assert.equal(r.code, 0, r.stderr);
    await sameFile(`${root.path}/exact`, `${local.path}/exact`);
    r = await curl("--tftp-no-options", "-o", "plain", `${url}/f`);
    assert.equal(r.code, 0, r.stderr);
    await sameFile(`${root.path}/f`, `${local.path}/plain`);
    r = await curl("--tftp-blksize", "512", "-o", "roll", `${url}/roll`);
    assert.equal(r.code, 0, r.stderr);
    await sameFile(`${root.path}/roll`, `${local.path}/roll`);
    r = await curl("--tftp-blksize", "512", "-T", "roll", `${url}/roll-up`);
    assert.equal(r.code, 0, r.stderr);
    await sameFile(`${root.path}/roll`, `${root.path}/roll-up`);
    // Errors reach curl as TFTP errors, not timeouts: exit codes 68
    // (CURLE_TFTP_NOTFOUND) and 73 (CURLE_REMOTE_FILE_EXISTS).
    r = await curl("-o", "x", `${url}/missing`);
    assert.equal(r.code, 68, r.stderr);
    r = await curl("-T", "f", `${url}/f`);
    assert.equal(r.code, 73, r.stderr);
  },
});

Deno.test({
  name: label(
    "tftp interop: netkit's client gets from and puts to tftpd-hpa",
    TFTPD,
    "tftpd-hpa",
  ),
  ignore: !TFTPD,
  async fn() {
    await using root = await tempDir();
    await Deno.chmod(root.path, 0o777); // tftpd-hpa runs as user tftp
    const data = pseudoRandomBytes(400_000, 8);
    await Deno.writeFile(`${root.path}/f`, data, { mode: 0o644 });
    await Deno.chmod(`${root.path}/f`, 0o644);
    await using tftpd = await startTftpd(TFTPD!, root.path, true);
    const o = { hostname: "127.0.0.1", port: tftpd.port, timeoutMs: 500 };
    const cases = [{}, { blksize: 1428 }, { blksize: 65464 }, {
      blksize: 1428,
      windowsize: 16, // tftpd-hpa 5.2 ignores it: lock-step it is
    }];
    for (const extra of cases) {
      const r = await getToMemory("f", { ...o, ...extra });
      assertSameBytes(r.data, data, JSON.stringify(extra));
      assert.equal(r.params.tsize, data.length);
    }
    await assert.rejects(
      getToMemory("missing", o),
      (e) => isNetkitError(e, "NOT_FOUND"),
    );
    const up = data.subarray(0, 100_000);
    await putFromMemory("up", up, { ...o, blksize: 1428 });
    assertSameBytes(await Deno.readFile(`${root.path}/up`), up);
  },
});
