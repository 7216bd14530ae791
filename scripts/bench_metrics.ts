/**
 * What counting costs per request, apart from any network: the calls a
 * service makes for one request when its metrics are on (`deno bench`), and
 * a scrape of a registry as full as a busy server's. The figures set the
 * same-run A/B of `bench_compare.ts` (`--flags-b="--admin 127.0.0.1:0"`)
 * against a floor that load on the machine cannot blur.
 *
 * Usage: deno bench scripts/bench_metrics.ts
 *
 * @module
 */

import { renderExposition } from "../core/ops/exposition.ts";
import { ServiceMetrics } from "../core/ops/service_metrics.ts";

const http = new ServiceMetrics("http", ["GET", "HEAD", "PUT"]);
const files = new ServiceMetrics("serve-files", ["LIST", "GET", "PUT", "QUIT"]);
const busy = new ServiceMetrics("http", ["GET", "HEAD", "PUT"]);
for (const m of ["GET", "HEAD", "PUT", "BREW"]) {
  for (let status = 200; status < 600; status += 7) busy.request(m, String(status), status / 1e4);
}

Deno.bench(
  "http: one request counted (metrics on, answer from memory)",
  { group: "request" },
  () => {
    http.open(1);
    http.open(-1);
    http.request("GET", String(200), 0);
    http.sent(1024);
  },
);

Deno.bench("serve-files: one GET counted", { group: "request" }, () => {
  files.request("GET", "ok", 0.0004);
  files.sent(65536);
});

Deno.bench(
  "a clock read (performance.now), for scale",
  { group: "request", baseline: true },
  () => {
    performance.now();
  },
);

Deno.bench("a scrape: snapshot and render 240 series", () => {
  renderExposition(busy.snapshot());
});
