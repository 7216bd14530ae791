// The metrics registry and its text exposition, read back by a strict parser;
// the parser itself refuses what the format forbids.
import assert from "node:assert/strict";
import { mergeSnapshots, MetricsRegistry } from "../core/ops/metrics.ts";
import { renderExposition } from "../core/ops/exposition.ts";
import { DURATION_BUCKETS, ServiceMetrics } from "../core/ops/service_metrics.ts";
import { parseExposition, sampleSum } from "./exposition.ts";

Deno.test("metrics: counters, gauges and histograms render and parse back exactly", () => {
  const r = new MetricsRegistry();
  const c = r.counter("t_requests_total", "Requests.", ["kind"]);
  c.labels("a").inc();
  c.labels("a").inc(2);
  c.labels('we"ird\\\nvalue').inc();
  const g = r.gauge("t_open", "Open now.").labels();
  g.set(5);
  g.dec(2);
  const h = r.histogram("t_seconds", "Durations.", ["kind"], [0.1, 1]);
  for (const v of [0.05, 0.1, 0.5, 7]) h.labels("x").observe(v);
  const text = renderExposition(r.snapshot());
  const m = parseExposition(text);
  assert.equal(sampleSum(m, "t_requests_total", { kind: "a" }), 3);
  assert.equal(sampleSum(m, "t_requests_total", { kind: 'we"ird\\\nvalue' }), 1);
  assert.equal(sampleSum(m, "t_open"), 3);
  assert.equal(m.get("t_seconds")!.type, "histogram");
  assert.equal(sampleSum(m, "t_seconds_bucket", { kind: "x", le: "0.1" }), 2); // le is inclusive
  assert.equal(sampleSum(m, "t_seconds_bucket", { kind: "x", le: "1" }), 3);
  assert.equal(sampleSum(m, "t_seconds_bucket", { kind: "x", le: "+Inf" }), 4);
  assert.equal(sampleSum(m, "t_seconds_count", { kind: "x" }), 4);
  assert.equal(sampleSum(m, "t_seconds_sum", { kind: "x" }), 7.65);
  assert.equal(m.get("t_requests_total")!.help, "Requests.");
});

Deno.test("metrics: snapshots of several isolates merge by summing, histograms bucket by bucket", () => {
  const make = (n: number) => {
    const s = new ServiceMetrics("serve-files", ["GET"]);
    for (let i = 0; i < n; i++) s.request("GET", "ok", 0.002);
    s.sent(100 * n);
    s.upload("verified");
    return s.snapshot();
  };
  const merged = mergeSnapshots([make(2), make(3), []]);
  const m = parseExposition(renderExposition(merged));
  assert.equal(sampleSum(m, "netkit_requests_total", { request: "GET", result: "ok" }), 5);
  assert.equal(sampleSum(m, "netkit_request_duration_seconds_count", { request: "GET" }), 5);
  assert.equal(sampleSum(m, "netkit_sent_bytes_total"), 500);
  assert.equal(sampleSum(m, "netkit_uploads_total", { result: "verified" }), 2);
  const other = new MetricsRegistry();
  other.gauge("netkit_requests_total", "clash");
  assert.throws(() => mergeSnapshots([make(1), other.snapshot()]), /differs/);
});

Deno.test("metrics: labels stay bounded whatever the callers pass", () => {
  const s = new ServiceMetrics("http", ["GET"]);
  for (let i = 0; i < 5000; i++) {
    s.request(`X${i}`, String(1000 + i), 0.001); // unknown methods, bogus results
    s.request("GET", `/file-${i}`, 0.001);
  }
  s.request("GET", "404", 0.001);
  const m = parseExposition(renderExposition(s.snapshot()));
  const series = m.get("netkit_requests_total")!.samples.map((x) =>
    `${x.labels.request} ${x.labels.result}`
  );
  assert.deepEqual(series.sort(), ["GET 404", "GET other", "OTHER other"]);
  assert.equal(sampleSum(m, "netkit_requests_total", { request: "OTHER" }), 5000);
  // The registry's own cap: a family never holds more than maxSeries series.
  const r = new MetricsRegistry(10);
  const c = r.counter("t_total", "t", ["k"]);
  for (let i = 0; i < 100; i++) c.labels(String(i)).inc();
  const samples = parseExposition(renderExposition(r.snapshot())).get("t_total")!.samples;
  assert.equal(samples.length, 11);
  assert.equal(
    sampleSum(parseExposition(renderExposition(r.snapshot())), "t_total", { k: "_overflow" }),
    90,
  );
});

Deno.test("metrics: bad names, labels and buckets are refused at registration", () => {
  const r = new MetricsRegistry();
  assert.throws(() => r.counter("1bad", "x"), RangeError);
  assert.throws(() => r.counter("ok_total", "x", ["__reserved"]), RangeError);
  assert.throws(() => r.histogram("h", "x", ["le"], [1]), RangeError);
  assert.throws(() => r.histogram("h2", "x", [], [1, 1]), RangeError);
  assert.throws(() => r.histogram("h3", "x", [], [1, Infinity]), RangeError);
  r.counter("dup_total", "x");
  assert.throws(() => r.counter("dup_total", "x"), RangeError);
  assert.throws(() => r.counter("two_total", "x", ["a", "b"]).labels("only-one"), RangeError);
});

Deno.test("metrics: every netkit metric follows the conventions (prefix, _total, base units)", () => {
  const s = new ServiceMetrics("tftp", ["RRQ"]);
  s.request("RRQ", "ok", 1);
  s.refused("busy");
  s.upload("completed");
  s.cache("c", { hits: 1, misses: 2 });
  const m = parseExposition(renderExposition(s.snapshot()));
  for (const [name, f] of m) {
    assert.match(name, /^netkit_/);
    assert.ok(f.help && f.help.length > 10, `${name} has a HELP`);
    if (f.type === "counter") assert.match(name, /_total$/, name);
    else assert.doesNotMatch(name, /_total$/, name);
    if (f.type === "histogram") assert.match(name, /_seconds$/);
    for (const sample of f.samples) assert.equal(sample.labels.service, "tftp", name);
  }
  assert.equal(sampleSum(m, "netkit_cache_misses_total", { cache: "c" }), 2);
  assert.deepEqual(
    m.get("netkit_request_duration_seconds")!.samples
      .filter((x) => x.name.endsWith("_bucket")).map((x) => x.labels.le),
    [...DURATION_BUCKETS.map(String), "+Inf"],
  );
});

Deno.test("exposition parser: refuses what the format forbids", () => {
  const ok = "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n";
  assert.equal(parseExposition(ok).get("a_total")!.samples[0].value, 1);
  const bad: [string, RegExp][] = [
    ["a_total 1", /no newline/],
    ['# TYPE a counter\na 1\nb 2\na{x="1"} 3\n', /split apart/],
    ["a 1\n# TYPE a counter\n", /TYPE of a after its samples/],
    ["# TYPE a counter\n# TYPE a counter\n", /second TYPE/],
    ["# TYPE a bogus\n", /unknown type/],
    ["a 1\na 2\n", /twice/],
    ['a{x="1",x="2"} 1\n', /label x twice/],
    ['a{x="\\q"} 1\n', /bad escape/],
    ['a{x="1" 1\n', /not a sample|unterminated/],
    ["a one\n", /bad value/],
    ["\n", /empty line/],
    ["# TYPE c counter\nc -1\n", /negative counter/],
    ['a{__x="1"} 1\n', /bad label name/],
    [
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
      /cumulative/,
    ],
    ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /\+Inf/],
    ['# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n', /_count/],
  ];
  for (const [text, why] of bad) assert.throws(() => parseExposition(text), why, text);
});
