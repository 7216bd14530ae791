import assert from "node:assert/strict";
import { assertSameBytes } from "./same_bytes.ts";
import { FileClient } from "../client/client.ts";
import { isNetkitError } from "../core/errors.ts";
import { PARTIAL_PREFIX } from "../core/library/part_files.ts";
import { TokenCheck } from "../core/access/auth.ts";
import { runNetkit, startNetkitServer } from "./cli_helpers.ts";
import {
  breakLocalUpload,
  breakResumableUpload,
  bytes,
  mtimeMsOf,
  namesIn,
  raw,
  serve,
  tempDir,
} from "./file_helpers.ts";
import { holdLock } from "./lock_holder.ts";
import { makeCert } from "./tls_helpers.ts";

Deno.test("tls: a client trusting the server's certificate lists, uploads and downloads", async () => {
  await using keys = await tempDir();
  const cert = await makeCert(keys.path);
  await using lib = await tempDir({ "a.txt": "over tls" });
  await using local = await tempDir({ "up.bin": bytes(700_000, 2) });
  await using server = await serve(lib.path, { tls: { cert: cert.cert, key: cert.key } });
  await using client = await FileClient.connect({
    port: server.addr.port,
    tls: { caCerts: [cert.cert] },
  });
  assert.ok(client.welcome.features & 32); // TLS
  assert.deepEqual((await client.list()).map((e) => e.name), ["a.txt"]);
  await client.upload(local.join("up.bin"), "up.bin");
  await client.download("a.txt", local.join("a.txt"));
  assert.equal(await Deno.readTextFile(local.join("a.txt")), "over tls");
  assertSameBytes(await Deno.readFile(lib.join("up.bin")), bytes(700_000, 2));
});

Deno.test("tls: failed handshakes (untrusted cert, plain TCP, garbage) never disturb the server", async () => {
  await using keys = await tempDir();
  const cert = await makeCert(keys.path);
  await using lib = await tempDir({ "a.txt": "a" });
  await using server = await serve(lib.path, { tls: { cert: cert.cert, key: cert.key } });
  await using good = await FileClient.connect({
    port: server.addr.port,
    tls: { caCerts: [cert.cert] },
  });
  // A client that does not trust the certificate fails its own handshake.
  await assert.rejects(
    FileClient.connect({ port: server.addr.port, tls: {}, timeoutMs: 5000 }),
    (e: unknown) => isNetkitError(e) && /TLS handshake .* failed/.test(e.message),
  );
  // Plain-text clients and garbage end only their own connections.
  await using r = await raw(server);
  await r.send(bytes(2000, 3));
  const buf = new Uint8Array(100);
  let end: number | null = 0;
  for (let i = 0; i < 100 && end !== null; i++) end = await r.conn.read(buf).catch(() => null);
  assert.equal(end, null); // at most a TLS alert, then the server closes

  await assert.rejects(
    FileClient.connect({ port: server.addr.port, timeoutMs: 5000 }),
    (e: unknown) => isNetkitError(e),
  );
  assert.equal((await good.list()).length, 1);
});

Deno.test("auth: the right token gets in; a wrong or missing one gets UNAUTHORIZED and a closed connection", async () => {
  await using lib = await tempDir({ "a.txt": "a" });
  await using server = await serve(lib.path, { token: "s3cret-token" });
  await using ok = await FileClient.connect({ port: server.addr.port, token: "s3cret-token" });
  assert.ok(ok.welcome.features & 64); // AUTH
  assert.equal((await ok.list()).length, 1);
  for (const token of [undefined, "wrong", "s3cret-token!", "s3cret-toke"]) {
    await assert.rejects(
      FileClient.connect({ port: server.addr.port, token }),
      (e: unknown) => isNetkitError(e, "UNAUTHORIZED"),
    );
  }
});

Deno.test("auth: 300 parallel wrong tokens from one address: a burst is checked, the rest refused at once", async () => {
  await using lib = await tempDir();
  // An interval of an hour: after the burst no attempt could be admitted within
  // the wait allowed, so the outcome does not depend on the machine's speed.
  // Room for all 300 handshakes at once: this test is about the sign-in
  // throttle, not the cap on connections still in their handshake.
  await using server = await serve(lib.path, {
    token: "t",
    authThrottle: { addressBurst: 5, addressIntervalMs: 3_600_000, accountBurst: 1000 },
    maxHandshakes: 1000,
  });
  // The rightful client signed in from this address before the attack.
  (await FileClient.connect({ port: server.addr.port, token: "t" })).close();
  const codes = await Promise.all(
    Array.from(
      { length: 300 },
      (_, i) =>
        FileClient.connect({ port: server.addr.port, token: `guess-${i}` }).then(
          (c) => (c.close(), "IN"),
          (e) => (e as { code?: string }).code ?? String(e),
        ),
    ),
  );
  const count = (code: string) => codes.filter((c) => c === code).length;
  assert.equal(count("UNAUTHORIZED"), 5, codes.join());
  assert.equal(count("BUSY"), 295);
  // The trusted address keeps its own bucket: the right token still gets in at once.
  await using ok = await FileClient.connect({ port: server.addr.port, token: "t" });
  assert.deepEqual(await ok.list(), []);
});

Deno.test("auth: TokenCheck", () => {
  const check = new TokenCheck("abc");
  const enc = new TextEncoder();
  assert.ok(check.matches(enc.encode("abc")));
  assert.ok(!check.matches(enc.encode("abd")));
  assert.ok(!check.matches(enc.encode("")));
  assert.ok(!check.matches(enc.encode("abcabc")));
  assert.throws(() => new TokenCheck(""), RangeError);
});

Deno.test("auth and tls from the command line: token from NETKIT_TOKEN, --cert/--key, --tls --ca", async () => {
  await using keys = await tempDir();
  const cert = await makeCert(keys.path);
  await using lib = await tempDir({ "a.txt": "a" });
  Deno.env.set("NETKIT_TOKEN", "from-env"); // inherited by the children
  try {
    await using server = await startNetkitServer([
      "serve-files",
      "--root",
      lib.path,
      "--port",
      "0",
      "--cert",
      cert.certPath,
      "--key",
      cert.keyPath,
    ]);
    assert.match(server.stderr(), /TLS, token required/);
    const addr = `127.0.0.1:${server.port}`;
    const ok = await runNetkit(["client", addr, "ls", "--ca", cert.certPath]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /a\.txt/);
    const bad = await runNetkit(["client", addr, "ls", "--ca", cert.certPath, "--token", "nope"]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, "netkit: wrong token\n");
  } finally {
    Deno.env.delete("NETKIT_TOKEN");
  }
  const r = await runNetkit(["serve-files", "--cert", cert.certPath]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--cert and --key go together/);
});

Deno.test("resume: a broken upload continues from what the server kept, verified end to end", async () => {
  const data = bytes(3_000_000, 21);
  await using lib = await tempDir();
  await using local = await tempDir({ "big.bin": data });
  await using server = await serve(lib.path);
  // First attempt: resumable, cut after 1 MiB + a bit.
  await breakLocalUpload(server, local.join("big.bin"), "big.bin", 1_200_000);
  // The part file is kept, hidden; nothing under the final name.
  await using client = await FileClient.connect({ port: server.addr.port });
  assert.deepEqual(await client.list(), []);
  const result = await client.upload(local.join("big.bin"), "big.bin", { resume: true });
  assert.ok(result.transferred < data.length, `sent ${result.transferred}`);
  assert.equal(result.size, data.length);
  assertSameBytes(await Deno.readFile(lib.join("big.bin")), data);
  assert.deepEqual(await namesIn(lib.path), ["big.bin"]);
});

Deno.test("resume: a resumed upload waits for the part file's lock to be let go; one held on gets BUSY and the session serves on", async () => {
  const data = bytes(400_000, 22);
  await using lib = await tempDir();
  await using local = await tempDir({ "big.bin": data });
  await using server = await serve(lib.path);
  await breakLocalUpload(server, local.join("big.bin"), "big.bin", 150_000);
  const parts = await namesIn(lib.path);
  assert.equal(parts.length, 1);
  assert.ok(parts[0].startsWith(PARTIAL_PREFIX), parts[0]);
  // Another holder of the part file (a process elsewhere on a shared folder, say).
  using holder = await holdLock(lib.join(parts[0]));
  await using client = await FileClient.connect({ port: server.addr.port });
  const started = performance.now();
  await assert.rejects(
    client.upload(local.join("big.bin"), "big.bin", { resume: true }),
    (e: unknown) => isNetkitError(e, "BUSY"),
  );
  assert.ok(performance.now() - started >= 900, "refused without waiting for the lock");
  assert.deepEqual(await client.list(), []); // the session goes on
  // Let go while the next attempt waits: it resumes from the kept bytes.
  const attempt = client.upload(local.join("big.bin"), "big.bin", { resume: true });
  holder.releaseAfter(50);
  const result = await attempt;
  assert.equal(result.transferred, data.length - 150_000);
  assertSameBytes(await Deno.readFile(lib.join("big.bin")), data);
});

Deno.test("resume: a part file from different content fails the check and is dropped", async () => {
  const data = bytes(500_000, 31);
  const other = bytes(500_000, 32);
  await using lib = await tempDir();
  await using local = await tempDir({ "a.bin": data, "b.bin": other });
  await using server = await serve(lib.path);
  // Other bytes, kept for a file of a.bin's size and time: only the digest can tell.
  await breakResumableUpload(server, "x.bin", other, 200_000, await mtimeMsOf(local.join("a.bin")));
  await using client = await FileClient.connect({ port: server.addr.port });
  await assert.rejects(client.upload(local.join("a.bin"), "x.bin", { resume: true }), {
    code: "CHECKSUM_MISMATCH",
  });
  assert.deepEqual(await namesIn(lib.path), []);
  // The next attempt starts over and succeeds.
  const r2 = await client.upload(local.join("a.bin"), "x.bin", { resume: true });
  assert.equal(r2.transferred, data.length);
  assertSameBytes(await Deno.readFile(lib.join("x.bin")), data);
});
