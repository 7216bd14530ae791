// /metrics of every service over real sockets: the counts match what the
// clients did, a Worker model reports the sum of its Workers, and the whole
// answer passes a strict reader of the exposition format.
import assert from "node:assert/strict";
import { encodeFrame, FrameType } from "../protocol/file/frame.ts";
import { createHasher } from "../core/hash/hash.ts";
import { startWorkersFileServer } from "../server/file_workers.ts";
import { startHttpServer } from "../http/server.ts";
import { startServiceAdmin } from "../core/ops/service_admin.ts";
import type { AdminServer } from "../core/ops/admin_server.ts";
import { tftpGet, tftpPut } from "../tftp/client.ts";
import { bytes, connect, namesIn, raw, tempDir, untilConnections } from "./file_helpers.ts";
import { logWaiter, memorySink, memorySource, startServer as startTftp } from "./tftp_helpers.ts";
import { type ParsedFamily, parseExposition, sampleSum } from "./exposition.ts";

/** Fetches and strictly parses `/metrics` of `admin`. */
async function scrape(admin: AdminServer): Promise<Map<string, ParsedFamily>> {
  const res = await fetch(`http://127.0.0.1:${admin.addr.port}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(await res.text());
}

Deno.test("metrics: serve-files with 2 Workers reports the sum of both, matching the clients", async () => {
  const file = bytes(100_000, 3);
  const up = bytes(10_000, 4);
  await using lib = await tempDir({ "a.bin": file });
  await using local = await tempDir({ "up.bin": up });
  await using server = await startWorkersFileServer({
    root: lib.path,
    hostname: "127.0.0.1",
    port: 0,
    workers: 2,
    log: null,
    metrics: true,
  });
  await using admin = await startServiceAdmin({ hostname: "127.0.0.1", port: 0 }, {
    root: server.root,
    writable: true,
    service: server,
  });
  // 16 connections: the kernel spreads them over both Workers (all on one: 2^-15).
  const clients = 16;
  await Promise.all(Array.from({ length: clients }, async (_, i) => {
    await using c = await connect(server);
    for (let k = 0; k < 2; k++) await c.download("a.bin", local.join(`d${i}-${k}.bin`));
    await c.upload(local.join("up.bin"), `up${i}.bin`);
    await assert.rejects(c.download("missing.bin", local.join(`m${i}`)));
  }));
  {
    await using r = await raw(server);
    await r.hello();
    await r.writer.send({ type: "PUT", name: "bad.bin", size: up.length, flags: 0 });
    assert.equal((await r.reader.next())?.type, "PUT_READY");
    const corrupted = up.slice();
    corrupted[5] ^= 1;
    await r.send(encodeFrame(FrameType.DATA, corrupted));
    const h = await createHasher("xxh3-128");
    h.update(up);
    await r.writer.send({ type: "END", digest: h.digest() });
    const m = await r.reader.next();
    assert.equal(m?.type === "ERROR" && m.code, "CHECKSUM_MISMATCH");
  }
  {
    await using c = await connect(server);
    await assert.rejects(c.cancelUpload("never-started.bin"), /no broken upload to cancel/);
  }
  await untilConnections(server, 0); // every session has ended, and counted
  const m = await scrape(admin);
  const n = (name: string, labels: Record<string, string> = {}) =>
    sampleSum(m, name, { service: "serve-files", ...labels });
  assert.equal(n("netkit_workers"), 2);
  assert.equal(n("netkit_requests_total", { request: "GET", result: "ok" }), 2 * clients);
  assert.equal(n("netkit_requests_total", { request: "GET", result: "NOT_FOUND" }), clients);
  assert.equal(n("netkit_requests_total", { request: "PUT", result: "ok" }), clients);
  assert.equal(n("netkit_requests_total", { request: "PUT", result: "CHECKSUM_MISMATCH" }), 1);
  assert.equal(n("netkit_requests_total", { request: "CANCEL", result: "NOT_FOUND" }), 1);
  assert.equal(n("netkit_request_duration_seconds_count", { request: "GET" }), 3 * clients);
  assert.equal(n("netkit_sent_bytes_total"), 2 * clients * file.length);
  assert.equal(n("netkit_received_bytes_total"), clients * up.length);
  assert.equal(n("netkit_uploads_total", { result: "verified" }), clients);
  assert.equal(n("netkit_uploads_total", { result: "checksum_mismatch" }), 1);
  assert.equal(n("netkit_connections_total"), clients + 2);
  assert.equal(n("netkit_connections_open"), 0);
  const replyLookups = n("netkit_cache_hits_total", { cache: "reply" }) +
    n("netkit_cache_misses_total", { cache: "reply" });
  assert.equal(replyLookups, 3 * clients);
  // Each client's second download finds the answer its first one left in its Worker.
  assert.ok(n("netkit_cache_hits_total", { cache: "reply" }) >= clients);
  assert.equal(sampleSum(m, "netkit_build_info"), 1);
  assert.ok(sampleSum(m, "process_resident_memory_bytes") > 1e6);
  assert.deepEqual((await namesIn(lib.path)).filter((x) => x.startsWith("bad")), []);
});

Deno.test("metrics: http with 2 Workers sums both; bytes match the bodies the client got", async () => {
  const file = bytes(5000, 5);
  await using lib = await tempDir({ "f.bin": file });
  const server = await startHttpServer({
    root: lib.path,
    hostname: "127.0.0.1",
    port: 0,
    workers: 2,
    quiet: true,
    metrics: true,
    upload: true,
    token: "t0ken",
  });
  try {
    await using admin = await startServiceAdmin({ hostname: "127.0.0.1", port: 0 }, {
      root: lib.path,
      writable: true,
      service: server,
    });
    const base = server.url;
    let bodies = 0;
    const call = async (path: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set("connection", "close"); // a new connection each time: spread over Workers
      const res = await fetch(base + path, { ...init, headers });
      bodies += (await res.arrayBuffer()).byteLength;
      return res.status;
    };
    for (let i = 0; i < 20; i++) assert.equal(await call("f.bin"), 200);
    assert.equal(await call("nope"), 404);
    assert.equal(await call("f.bin", { method: "HEAD" }), 200);
    const put = (name: string, token?: string) =>
      call(name, {
        method: "PUT",
        body: file.slice(),
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    for (let i = 0; i < 3; i++) assert.equal(await put(`u${i}.bin`, "t0ken"), 201);
    assert.equal(await put("x.bin"), 401);
    assert.equal(await put("y.bin", "wrong"), 401);
    assert.equal(await call("f.bin", { method: "BREW" }), 405);
    const m = await scrape(admin);
    const n = (name: string, labels: Record<string, string> = {}) =>
      sampleSum(m, name, { service: "http", ...labels });
    assert.equal(n("netkit_workers"), 2);
    assert.equal(n("netkit_requests_total", { request: "GET", result: "200" }), 20);
    assert.equal(n("netkit_requests_total", { request: "GET", result: "404" }), 1);
    assert.equal(n("netkit_requests_total", { request: "HEAD", result: "200" }), 1);
    assert.equal(n("netkit_requests_total", { request: "PUT", result: "201" }), 3);
    assert.equal(n("netkit_requests_total", { request: "PUT", result: "401" }), 2);
    assert.equal(n("netkit_requests_total", { request: "OTHER", result: "405" }), 1);
    assert.equal(n("netkit_refused_total", { reason: "auth" }), 2);
    assert.equal(n("netkit_uploads_total", { result: "completed" }), 3);
    assert.equal(n("netkit_received_bytes_total"), 3 * file.length);
    assert.equal(n("netkit_sent_bytes_total"), bodies);
    assert.equal(n("netkit_connections_open"), 0);
    assert.equal(n("netkit_request_duration_seconds_count"), 28);
  } finally {
    await server.shutdown();
  }
});

Deno.test("metrics: tftp counts transfers, bytes, refusals and uploads", async () => {
  await using dir = await tempDir({ "f.bin": bytes(3000, 6) });
  const logs = logWaiter();
  await using server = await startTftp(dir.path, {
    allowWrite: true,
    metrics: true,
    maxPerHost: 4,
    log: logs.log,
  });
  await using admin = await startServiceAdmin({ hostname: "127.0.0.1", port: 0 }, {
    root: server.root,
    writable: true,
    service: server,
  });
  const client = { hostname: "127.0.0.1", port: server.addr.port };
  for (let i = 0; i < 3; i++) await tftpGet("f.bin", memorySink(), client);
  await assert.rejects(tftpGet("missing", memorySink(), client));
  await tftpPut("new.bin", memorySource(bytes(1000, 7)), 1000, client);
  await assert.rejects(tftpPut("f.bin", memorySource(bytes(10)), 10, client)); // exists
  // Every transfer has ended on the server's side too: one log line each.
  for (let i = 0; i < 1000 && logs.lines.length < 6; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const m = await scrape(admin);
  const n = (name: string, labels: Record<string, string> = {}) =>
    sampleSum(m, name, { service: "tftp", ...labels });
  assert.equal(n("netkit_requests_total", { request: "RRQ", result: "ok" }), 3);
  assert.equal(n("netkit_requests_total", { request: "RRQ", result: "NOT_FOUND" }), 1);
  assert.equal(n("netkit_requests_total", { request: "WRQ", result: "ok" }), 1);
  assert.equal(n("netkit_requests_total", { request: "WRQ", result: "EXISTS" }), 1);
  assert.equal(n("netkit_sent_bytes_total"), 9000);
  assert.equal(n("netkit_received_bytes_total"), 1000);
  assert.equal(n("netkit_uploads_total", { result: "completed" }), 1);
  assert.equal(n("netkit_uploads_total", { result: "refused" }), 1);
  assert.equal(n("netkit_connections_total"), 6);
  assert.equal(n("netkit_connections_open"), 0);
});

Deno.test("metrics: a wrong token and a full server count as refused (serve-files)", async () => {
  await using lib = await tempDir({ "a.txt": "a" });
  const { serve } = await import("./file_helpers.ts");
  await using server = await serve(lib.path, { token: "right", maxConnections: 1, metrics: true });
  await using admin = await startServiceAdmin({ hostname: "127.0.0.1", port: 0 }, {
    root: server.root,
    writable: true,
    service: server,
  });
  {
    await using r = await raw(server);
    const hello = await r.hello(); // no token
    assert.equal((hello as { code?: string }).code, "UNAUTHORIZED");
  }
  await untilConnections(server, 0);
  // A signed-in client holds the one slot (one still in its handshake would
  // be closed to make room for the next).
  await using holder = await raw(server);
  assert.equal((await holder.hello("right") as { type?: string }).type, "WELCOME");
  const health = await fetch(`http://127.0.0.1:${admin.addr.port}/health`);
  assert.equal(health.status, 503);
  assert.equal(await health.text(), "unavailable: at the connection limit (1)\n");
  {
    await using busy = await raw(server);
    const m = await busy.reader.next();
    assert.equal(m?.type === "ERROR" && m.code, "BUSY");
  }
  const m = await scrape(admin);
  assert.equal(sampleSum(m, "netkit_refused_total", { reason: "auth" }), 1);
  assert.equal(sampleSum(m, "netkit_refused_total", { reason: "busy" }), 1);
});
