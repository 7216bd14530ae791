/**
 * Markdown tables of the file-service benchmark results.
 *
 * @module
 */

import type { Series } from "./big_transfers.ts";
import type { BurstReport, LoadResult } from "./load_runs.ts";
import { fmt, histogram, median, percentile, table } from "./stats.ts";

/** Big transfers: median whole-process time, throughput and ratios to the references. */
export function seriesTable(series: Series[], size: number, ...refs: string[]): string {
  const med = new Map(series.map((s) => [s.name, median(s.ms)]));
  const names = [...new Set(refs)].filter((r) => med.has(r));
  const rows = series.map((s) => {
    const m = med.get(s.name)!;
    return [
      s.name,
      fmt(m / 1000, 2),
      fmt(size / (m / 1000) / 1e9, 2),
      `${fmt(Math.min(...s.ms) / 1000, 2)}–${fmt(Math.max(...s.ms) / 1000, 2)}`,
      `${s.ms.length}`,
      `${s.failures}`,
      ...names.map((r) => fmt(med.get(r)! / m, 2)),
    ];
  });
  return table(
    [
      "program",
      "median s",
      "GB/s",
      "min–max s",
      "runs",
      "failures",
      ...names.map((r) => `speed vs ${r}`),
    ],
    rows,
  );
}

/** Load runs: throughput, latency, failures and CPU per model (and per operation when asked). */
export function loadTable(results: LoadResult[], perOp: boolean): string {
  const rows: string[][] = [];
  for (const r of results) {
    const stats = Object.values(r.byLabel);
    const lat = stats.flatMap((s) => s.lat);
    const bytes = stats.reduce((a, s) => a + s.bytes, 0);
    const fails = stats.reduce((a, s) => a + s.fail, 0) + r.connectFailures;
    const errors = Object.entries(r.errors).map(([k, v]) => `${k}×${v}`).join(" ");
    rows.push([
      `**${r.model}**`,
      fmt(lat.length / (r.ms / 1000), 0),
      fmt(bytes / (r.ms / 1000) / 1e6, 1),
      fmt(percentile(lat, 50), 2),
      fmt(percentile(lat, 99), 2),
      fmt(percentile(lat, 100), 1),
      `${fails}${errors ? ` (${errors})` : ""}`,
      fmt(r.serverCpu, 0),
      fmt(r.loadCpu, 0),
    ]);
    if (!perOp) continue;
    for (const [label, s] of Object.entries(r.byLabel)) {
      rows.push([
        `  ${label}`,
        fmt(s.lat.length / (r.ms / 1000), 0),
        fmt(s.bytes / (r.ms / 1000) / 1e6, 1),
        fmt(percentile(s.lat, 50), 2),
        fmt(percentile(s.lat, 99), 2),
        fmt(percentile(s.lat, 100), 1),
        `${s.fail}`,
        "",
        "",
      ]);
    }
  }
  return table([
    "model",
    "ops/s",
    "MB/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "failures",
    "server CPU %",
    "load-gen CPU %",
  ], rows);
}

/** The connection burst and the idle connections held. */
export function burstTable(reports: BurstReport[], count: number): string {
  // Group the runs of each server, in order of first appearance.
  const order = [...new Set(reports.map((r) => r.model))];
  const grouped = order.flatMap((m) => reports.filter((r) => r.model === m));
  const rows = grouped.map((r) => {
    const b = r.burst;
    const [fast, mid, s1, s3] = histogram(b.connectMs, [100, 1000, 3000]);
    const held = b.connectMs.length;
    return [
      r.model,
      `${held}/${count}`,
      fmt(b.ms / 1000, 2),
      `${fmt(percentile(b.connectMs, 50), 1)} / ${fmt(percentile(b.connectMs, 99), 1)} / ${
        fmt(percentile(b.connectMs, 100), 0)
      }`,
      `${fast} / ${mid} / ${s1} / ${s3}`,
      `${fmt(percentile(b.handshakeMs, 50), 1)} / ${fmt(percentile(b.handshakeMs, 99), 1)}`,
      `${r.listenOverflows} / ${r.listenDrops}`,
      r.backlog,
      `${fmt(r.rssBefore / 1024, 1)} → ${fmt(r.rssHeld / 1024, 1)} → ${
        fmt(r.rssSettled / 1024, 1)
      }`,
      fmt((r.rssHeld - r.rssBefore) / Math.max(1, held), 2),
      fmt((r.rssSettled - r.rssBefore) / Math.max(1, held), 2),
    ];
  });
  return table([
    "model",
    "handshakes done",
    "all done in s",
    "connect p50 / p99 / max ms",
    "connects <100ms / <1s / 1–3s / ≥3s",
    "handshake p50 / p99 ms",
    "ListenOverflows / ListenDrops",
    "listen backlog (ss Send-Q)",
    "server RSS MiB before → held → after 5 s",
    "KiB per conn (held)",
    "KiB per conn (after 5 s)",
  ], rows);
}

/** Plain speeds (GB/s per run): median and range. */
export function speedTable(s: Array<[string, number[]]>): string {
  return table(
    ["program", "median GB/s", "min–max GB/s", "runs"],
    s.map(([name, xs]) => [
      name,
      fmt(median(xs), 2),
      `${fmt(Math.min(...xs), 2)}–${fmt(Math.max(...xs), 2)}`,
      `${xs.length}`,
    ]),
  );
}
