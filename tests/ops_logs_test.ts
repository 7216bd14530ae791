// The request logs of the real programs: --log-format json gives one JSON
// object per line with the same fields in every service; names with control
// characters cannot forge a line in either format; no password or token is
// ever written.
import assert from "node:assert/strict";
import { netkitArgs, runNetkit, startNetkitServer } from "./cli_helpers.ts";
import { tempDir } from "./file_helpers.ts";
import { curl } from "./http_helpers.ts";

/** Every stderr line of a stopped server, each parsed as JSON. */
function jsonLines(stderr: string): Record<string, unknown>[] {
  const lines = stderr.trimEnd().split("\n");
  return lines.map((line) => {
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/, line);
    return JSON.parse(line);
  });
}

function assertRecord(r: Record<string, unknown>, service: string): void {
  assert.match(String(r.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/); // RFC 3339
  assert.equal(r.service, service);
  for (const k of ["peer", "user", "request", "path", "bytes", "ms"]) assert.ok(k in r, k);
  assert.equal(typeof r.bytes, "number");
  assert.equal(typeof r.ms, "number");
}

Deno.test("logs: serve-files in JSON: a line per request, names escaped, the token never written", async () => {
  const token = "TOKEN-never-in-logs-7f3a";
  await using lib = await tempDir({ "a.txt": "hello" });
  await using local = await tempDir();
  const server = await startNetkitServer([
    "serve-files",
    ...["--root", lib.path, "--port", "0", "--log-format", "json", "--token", token],
  ]);
  const addr = `127.0.0.1:${server.port}`;
  const ok = await runNetkit(["client", addr, "get", "a.txt", local.join("a"), "--token", token]);
  assert.equal(ok.code, 0, ok.stderr);
  const evil = await runNetkit([
    "client",
    ...[addr, "get", "bad\nname\u0001\u2028", local.join("b"), "--token", token],
  ]);
  assert.equal(evil.code, 1);
  const wrong = await runNetkit(["client", addr, "ls", "--token", `${token}-wrong`]);
  assert.equal(wrong.code, 1);
  assert.equal((await server.stop()).code, 0);
  const records = jsonLines(server.stderr());
  assert.ok(!server.stderr().includes(token), "the token is never logged");
  const notices = records.filter((r) => "message" in r);
  assert.match(String(notices[0].message), /^serving .* on 127\.0\.0\.1:\d+ /);
  assert.equal(notices[0].level, "info");
  assert.equal(notices.at(-1)!.message, "stopped");
  const requests = records.filter((r) => !("message" in r));
  const get = requests.find((r) => r.request === "GET" && r.path === "a.txt")!;
  assertRecord(get, "serve-files");
  assert.deepEqual([get.code, get.bytes, get.user], ["ok", 5, null]);
  assert.match(String(get.peer), /^127\.0\.0\.1:\d+$/);
  const bad = requests.find((r) => r.path === "bad\nname\u0001\u2028")!;
  assert.equal(bad.code, "INVALID_NAME");
  const denied = requests.find((r) => r.code === "UNAUTHORIZED")!;
  assert.equal(denied.error, "wrong token");
});

Deno.test("logs: serve-files in clf escapes control characters in names", async () => {
  await using lib = await tempDir({ "a.txt": "hello" });
  await using local = await tempDir();
  const server = await startNetkitServer(["serve-files", "--root", lib.path, "--port", "0"]);
  const r = await runNetkit([
    "client",
    ...[`127.0.0.1:${server.port}`, "get", 'x\ny"\u0007z', local.join("b")],
  ]);
  assert.equal(r.code, 1);
  await server.stop();
  const line = server.stderr().split("\n").find((l) => l.includes(" GET "))!;
  assert.match(line, /GET "x\\x0ay\\x22\\x07z" 0B [\d.]+ms INVALID_NAME$/);
});

Deno.test("logs: http in JSON names the Basic user, never the password or a token", async () => {
  const password = "PASSWORD-never-in-logs-91c";
  const token = "BEARER-never-in-logs-2b7";
  await using root = await tempDir({ "f.txt": "12345" });
  const server = await startNetkitServer([
    "http",
    ...["--root", root.path, "--port", "0", "--log-format", "json", "--upload"],
    ...["--auth", `alice:${password}`, "--token", token],
  ]);
  const base = `http://127.0.0.1:${server.port}`;
  assert.equal((await curl(["-A", "agent\tx", `${base}/f.txt`])).text, "12345");
  const up = await curl([
    "-u",
    `alice:${password}`,
    "-T",
    "-",
    `${base}/up.txt`,
    "-o",
    "/dev/null",
    "-w",
    "%{http_code}",
  ]);
  assert.equal(up.text, "201");
  const wrong = await curl([
    "-u",
    `mallory:${password}x`,
    "-T",
    "-",
    `${base}/w.txt`,
    "-o",
    "/dev/null",
    "-w",
    "%{http_code}",
  ]);
  assert.equal(wrong.text, "401");
  const bearer = await curl([
    "-H",
    `Authorization: Bearer ${token}`,
    "-T",
    "-",
    `${base}/t.txt`,
    "-o",
    "/dev/null",
    "-w",
    "%{http_code}",
  ]);
  assert.equal(bearer.text, "201");
  await server.stop();
  const text = server.stderr();
  assert.ok(!text.includes(password) && !text.includes(token), text);
  const records = jsonLines(text).filter((r) => !("message" in r));
  const get = records.find((r) => r.request === "GET")!;
  assertRecord(get, "http");
  assert.deepEqual([get.path, get.status, get.bytes, get.user], ["/f.txt", 200, 5, null]);
  assert.equal(get.agent, "agent\tx");
  assert.equal(get.peer, "127.0.0.1");
  const put = records.find((r) => r.path === "/up.txt")!;
  assert.deepEqual([put.request, put.status, put.user], ["PUT", 201, "alice"]);
  const refused = records.find((r) => r.path === "/w.txt")!;
  assert.deepEqual([refused.status, refused.user], [401, "mallory"]);
  assert.equal(records.find((r) => r.path === "/t.txt")!.user, null);
});

Deno.test("logs: tftp in JSON, the file name escaped", async () => {
  await using root = await tempDir({ "f.bin": "data" });
  await using local = await tempDir();
  // tftp prints its serving line on stdout (the helper reads stderr): started by hand.
  const child = new Deno.Command(Deno.execPath(), {
    args: netkitArgs([
      "tftp",
      ...["serve", "--root", root.path, "--port", "0", "--log-format", "json"],
    ]),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = JSON.parse((await out.read()).value!.trim().split("\n")[0]);
  const port = /:(\d+) \(/.exec(first.message)![1];
  const get = await runNetkit(["tftp", "get", `127.0.0.1:${port}`, "f.bin", local.join("f")]);
  assert.equal(get.code, 0, get.stderr);
  const bad = await runNetkit(["tftp", "get", `127.0.0.1:${port}`, "no\u0001pe", local.join("g")]);
  assert.equal(bad.code, 1);
  child.kill("SIGTERM");
  await out.cancel();
  const [status, err] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
  ]);
  assert.equal(status.code, 0);
  const records = jsonLines(err);
  const ok = records.find((r) => r.path === "f.bin")!;
  assertRecord(ok, "tftp");
  assert.deepEqual([ok.request, ok.code, ok.bytes], ["RRQ", "ok", 4]);
  const missing = records.find((r) => r.path === "no\u0001pe")!;
  assert.equal(missing.code, "INVALID_NAME"); // the jail refuses control characters
  assert.equal(typeof missing.error, "string");
});
