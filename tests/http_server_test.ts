// `netkit http` as a server: HTTPS with HTTP/2 by ALPN, a large file with
// bounded memory, --workers, graceful shutdown, slow readers, and the CLI
// (access log, signals, usage errors) run as a real process.
import assert from "node:assert/strict";
import { curl, makeFixture, rawRequest, serve } from "./http_helpers.ts";
import { runNetkit, startNetkitServer } from "./cli_helpers.ts";
import { makeCert } from "./tls_helpers.ts";

Deno.test("HTTPS with a self-signed certificate, and HTTP/2 negotiated by ALPN", async () => {
  await using fx = await makeFixture();
  const tls = await makeCert(fx.base);
  await using s = await serve({ root: fx.root, cert: tls.cert, key: tls.key });
  assert.ok(s.url.startsWith("https://"), s.url);
  using client = Deno.createHttpClient({ caCerts: [tls.cert] });
  const r = await fetch(s.url + "hello.txt", { client });
  assert.equal(await r.text(), "hello, world\n");
  const h2 = await curl([
    "--cacert",
    tls.certPath,
    "--http2",
    "-o",
    "/dev/null",
    "-w",
    "%{http_version}",
    s.url + "data.bin",
  ]);
  assert.equal(h2.text, "2", h2.stderr);
  const range = await curl([
    "--cacert",
    tls.certPath,
    "--http2",
    "--range",
    "10-19",
    s.url + "data.bin",
  ]);
  assert.deepEqual(Array.from(range.stdout), Array.from({ length: 10 }, (_, i) => 10 + i));
  const h1 = await curl([
    "--cacert",
    tls.certPath,
    "--http1.1",
    "-o",
    "/dev/null",
    "-w",
    "%{http_version}",
    s.url + "hello.txt",
  ]);
  assert.equal(h1.text, "1.1", h1.stderr);
  const untrusted = await curl(["-o", "/dev/null", s.url + "hello.txt"]);
  assert.ok(untrusted.code !== 0, "an untrusted certificate was accepted");
});

/** A process's resident memory now and at its peak so far, in MiB (Linux's /proc). */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)![1]);
  return { rss: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

Deno.test({
  name: "a 512 MiB file streams with bounded server memory",
  // The server runs as a process of its own, so no other test's memory is counted.
  ignore: Deno.build.os !== "linux",
}, async () => {
  await using fx = await makeFixture();
  const size = 512 * 1024 * 1024;
  using f = await Deno.open(`${fx.root}/big.iso`, { create: true, write: true });
  await f.truncate(size); // sparse: costs no disk
  await using s = await startNetkitServer(["http", "--root", fx.root, "--port", "0", "--quiet"]);
  const url = `http://127.0.0.1:${s.port}/`;
  assert.equal((await curl([url + "hello.txt"])).text, "hello, world\n"); // warmed up
  const before = await memoryOf(s.child.pid);
  const out = await curl(
    ["-o", "/dev/null", "-w", "%{size_download} %{http_code}", url + "big.iso"],
    300, // a loaded machine may move it at 20 MB/s
  );
  assert.equal(out.text, `${size} 200`, out.stderr);
  const grew = (await memoryOf(s.child.pid)).peak - before.rss;
  assert.ok(grew < 96, `server memory grew by ${grew.toFixed(0)} MiB for a 512 MiB file`);
});

Deno.test("--workers 2 serves the same port from two isolates and shuts down", async () => {
  await using fx = await makeFixture();
  const s = await serve({ root: fx.root, workers: 2 });
  try {
    const answers = await Promise.all(
      Array.from(
        { length: 20 },
        () => rawRequest(s.addr.port, "/data.bin", "GET", "Range: bytes=0-3\r\n"),
      ),
    );
    for (const r of answers) {
      assert.equal(r.status, 206);
      assert.deepEqual(Array.from(r.body), [0, 1, 2, 3]);
    }
    assert.equal((await rawRequest(s.addr.port, "/../x")).status, 400);
  } finally {
    await s.shutdown();
  }
  const refused = await Deno.connect({ hostname: "127.0.0.1", port: s.addr.port }).then(
    (c) => (c.close(), false),
    () => true,
  );
  assert.ok(refused, "still accepting after shutdown");
});

Deno.test("graceful shutdown lets a download in flight finish", async () => {
  await using fx = await makeFixture();
  using f = await Deno.open(`${fx.root}/mid.bin`, { create: true, write: true });
  await f.truncate(64 * 1024 * 1024);
  const s = await serve({ root: fx.root });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.addr.port });
  try {
    await conn.write(
      new TextEncoder().encode("GET /mid.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    const buf = new Uint8Array(65536);
    let total = await conn.read(buf) ?? 0; // the response has started
    const stopping = s.shutdown();
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      total += n;
    }
    await stopping;
    assert.ok(total > 64 * 1024 * 1024, `only ${total} bytes arrived`);
  } finally {
    conn.close();
    s.abort();
  }
});

Deno.test("a client that stops reading a range response is cut off after the stall timeout", async () => {
  await using fx = await makeFixture();
  using f = await Deno.open(`${fx.root}/stall.bin`, { create: true, write: true });
  await f.truncate(256 * 1024 * 1024);
  await using s = await serve({ root: fx.root, stallTimeout: 200 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.addr.port });
  try {
    await conn.write(new TextEncoder().encode(
      "GET /stall.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-200000000\r\nConnection: close\r\n\r\n",
    ));
    const buf = new Uint8Array(65536);
    let total = await conn.read(buf) ?? 0;
    // Stop reading: the kernel buffers fill, the server's stream stalls. A
    // stall is time by nature; ten times the timeout is room for a busy
    // machine (the cut-off itself is timed on a virtual clock in
    // tests/http_body_test.ts).
    await new Promise((r) => setTimeout(r, 2000));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      total += n;
    }
    assert.ok(total < 200_000_000, `the whole range arrived (${total} bytes): no stall cut-off`);
  } finally {
    conn.close();
  }
});

Deno.test("the CLI logs in Combined Log Format and stops cleanly on SIGTERM", async () => {
  await using fx = await makeFixture();
  await using s = await startNetkitServer(["http", "--root", fx.root, "--port", "0"]);
  const out = await curl([
    "-A",
    "netkit-test",
    "-e",
    "http://ref.example/",
    `http://127.0.0.1:${s.port}/hello.txt`,
  ]);
  assert.equal(out.text, "hello, world\n");
  const missing = await curl(["-o", "/dev/null", `http://127.0.0.1:${s.port}/missing`]);
  assert.equal(missing.code, 0);
  const status = await s.stop("SIGTERM");
  assert.equal(status.code, 0);
  const log = s.stderr();
  assert.match(
    log,
    /127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/hello\.txt HTTP\/1\.1" 200 13 "http:\/\/ref\.example\/" "netkit-test"/,
  );
  assert.match(log, /"GET \/missing HTTP\/1\.1" 404 10 "-" "curl\//);
  assert.match(log, /netkit http: stopped/);
});

Deno.test("the CLI: a second signal stops at once while a download is stalled", async () => {
  await using fx = await makeFixture();
  await Deno.writeFile(`${fx.root}/big.bin`, new Uint8Array(64 * 1024 * 1024));
  await using s = await startNetkitServer(["http", "--root", fx.root, "--port", "0", "--quiet"]);
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  await conn.write(new TextEncoder().encode("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"));
  assert.ok((await conn.read(new Uint8Array(1024)) ?? 0) > 0); // the answer begins, then stalls
  let exited = false;
  s.child.status.then(() => exited = true);
  s.child.kill("SIGTERM");
  for (let i = 0; i < 1500 && !s.stderr().includes("again to force"); i++) {
    await new Promise((r) => setTimeout(r, 20)); // polls its log, for at most 30 s
  }
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(!exited, "the first signal waits for the download in flight");
  const forced = Date.now();
  assert.equal((await s.stop("SIGINT")).code, 0);
  // Not the 10 s of the first signal's grace (started half a second earlier),
  // with room for a busy machine's slow exit.
  assert.ok(Date.now() - forced < 8000, "the second signal does not wait (10 s)");
  assert.match(s.stderr(), /netkit http: stopped/);
});

Deno.test("the CLI: --quiet mutes the log; bad flags exit 2 with one line", async () => {
  await using fx = await makeFixture();
  {
    await using s = await startNetkitServer([
      "http",
      fx.root,
      "--port",
      "0",
      "--quiet",
      "--workers",
      "2",
    ]);
    const out = await curl([`http://127.0.0.1:${s.port}/hello.txt`]);
    assert.equal(out.text, "hello, world\n");
    assert.equal((await s.stop("SIGINT")).code, 0);
    assert.ok(!s.stderr().includes("GET /hello.txt"), s.stderr());
  }
  for (
    const args of [
      ["http"],
      ["http", "--root", fx.root, "--workers", "0"],
      ["http", "--root", fx.root, "--cert", "x.pem"],
      ["http", "--root", fx.root, "--port", "99999"],
      ["http", "--root", fx.root, "--bogus"],
    ]
  ) {
    const r = await runNetkit(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /^netkit: .+\nTry 'netkit http --help'\.\n$/, args.join(" "));
  }
  const missing = await runNetkit(["http", "--root", `${fx.base}/nope`, "--port", "0"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /root does not exist/);
});
