// A real Prometheus (Debian's `prometheus`) scrapes /metrics of a running
// `netkit serve-files --model workers --workers 2` while clients download
// and upload; its HTTP API must then hold netkit_* series whose counts are
// exactly what the clients did, summed over both Workers.
import assert from "node:assert/strict";
import { FileClient } from "../client/client.ts";
import { type ChildServer, startNetkitServer } from "./cli_helpers.ts";
import { freePort, installed, pause, startPeer } from "./ops_helpers.ts";
import { bytes, tempDir } from "./file_helpers.ts";

const PROMETHEUS = "/usr/bin/prometheus";
const HAVE_PROMETHEUS = installed(PROMETHEUS);

/** The admin port a netkit server announced on stderr (bounded wait). */
async function adminPort(server: ChildServer): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const m = /admin on 127\.0\.0\.1:(\d+)/.exec(server.stderr());
    if (m) return Number(m[1]);
    await pause(20);
  }
  throw new Error(`no admin line:\n${server.stderr()}`);
}

/** Prometheus in `dir`, scraping `target` every 500 ms; stopped by its PID on dispose. */
async function startPrometheus(dir: string, target: string) {
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/prometheus.yml`,
    `global:
  scrape_interval: 500ms
  scrape_timeout: 500ms
scrape_configs:
  - job_name: netkit
    static_configs:
      - targets: ["${target}"]
`,
  );
  const api = `http://127.0.0.1:${port}`;
  const peer = await startPeer(PROMETHEUS, [
    `--config.file=${dir}/prometheus.yml`,
    `--storage.tsdb.path=${dir}/data`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--log.level=warn",
  ], {
    ready: () => fetch(`${api}/-/ready`).then((r) => (r.body?.cancel(), r.ok), () => false),
    tries: 600,
    pauseMs: 50,
  });
  return {
    /** Runs an instant PromQL query; the vector's samples. */
    async query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
      const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = await res.json();
      assert.equal(body.status, "success", JSON.stringify(body));
      return body.data.result;
    },
    async targets(): Promise<{ health: string; lastError: string }[]> {
      return (await (await fetch(`${api}/api/v1/targets`)).json()).data.activeTargets;
    },
    [Symbol.asyncDispose]: () => peer[Symbol.asyncDispose](),
  };
}

Deno.test({
  name: HAVE_PROMETHEUS
    ? "prometheus: scrapes netkit's metrics; the series match what the clients did"
    : "prometheus: scrapes netkit's metrics [SKIPPED: no prometheus; apt-get install prometheus]",
  ignore: !HAVE_PROMETHEUS,
  async fn() {
    const file = bytes(200_000, 11);
    const up = bytes(30_000, 12);
    await using lib = await tempDir({ "a.bin": file });
    await using local = await tempDir({ "up.bin": up });
    await using work = await tempDir();
    await using server = await startNetkitServer([
      "serve-files",
      ...["--root", lib.path, "--port", "0", "--model", "workers", "--workers", "2"],
      ...["--admin", "127.0.0.1:0", "--quiet"],
    ]);
    const admin = await adminPort(server);
    await using prom = await startPrometheus(work.path, `127.0.0.1:${admin}`);

    const clients = 8;
    await Promise.all(Array.from({ length: clients }, async (_, i) => {
      await using c = await FileClient.connect({ hostname: "127.0.0.1", port: server.port });
      for (let k = 0; k < 2; k++) await c.download("a.bin", local.join(`d${i}-${k}`));
      await c.upload(local.join("up.bin"), `up${i}.bin`);
      await assert.rejects(c.download("missing.bin", local.join(`m${i}`)));
      await c.quit();
    }));
    const done = Date.now() / 1000;

    // Wait for a scrape that began after the clients finished (bounded: 30 s).
    for (let i = 0;; i++) {
      const [up] = await prom.query('timestamp(up{job="netkit"})');
      if (up && Number(up.value[1]) > done + 0.1) break;
      assert.ok(i < 300, "no scrape after the clients finished");
      await pause(100);
    }
    const [target] = await prom.targets();
    assert.deepEqual([target.health, target.lastError], ["up", ""]);

    const series = await prom.query('{__name__=~"netkit_.*", job="netkit"}');
    const value = (name: string, labels: Record<string, string> = {}) =>
      series
        .filter((s) =>
          s.metric.__name__ === name &&
          Object.entries({ service: "serve-files", ...labels }).every(([k, v]) => s.metric[k] === v)
        )
        .reduce((sum, s) => sum + Number(s.value[1]), 0);
    assert.equal(value("netkit_requests_total", { request: "GET", result: "ok" }), 2 * clients);
    assert.equal(value("netkit_requests_total", { request: "GET", result: "NOT_FOUND" }), clients);
    assert.equal(value("netkit_requests_total", { request: "PUT", result: "ok" }), clients);
    assert.equal(value("netkit_requests_total", { request: "QUIT", result: "ok" }), clients);
    assert.equal(value("netkit_sent_bytes_total"), 2 * clients * file.length);
    assert.equal(value("netkit_received_bytes_total"), clients * up.length);
    assert.equal(value("netkit_uploads_total", { result: "verified" }), clients);
    assert.equal(value("netkit_connections_total"), clients);
    assert.equal(value("netkit_connections_open"), 0);
    assert.equal(value("netkit_workers"), 2);
    assert.equal(value("netkit_request_duration_seconds_count", { request: "GET" }), 3 * clients);
    assert.equal(
      value("netkit_request_duration_seconds_bucket", { request: "PUT", le: "+Inf" }),
      clients,
    );
    // Prometheus reads the histogram as one.
    const [median] = await prom.query(
      'histogram_quantile(0.5, sum by (le) (netkit_request_duration_seconds_bucket{request="GET"}))',
    );
    assert.ok(Number(median.value[1]) > 0 && Number(median.value[1]) < 300, median.value[1]);
    // No label carries a file name or a client address.
    for (const s of series) {
      for (const [k, v] of Object.entries(s.metric)) {
        if (k === "instance") continue; // the scrape target, added by Prometheus
        assert.doesNotMatch(v, /\.bin|127\.0\.0\.1/, `${k}=${v}`);
      }
    }
  },
});
