/**
 * The cluster benchmark (issue 16): what a shared GlusterFS library costs
 * against the local disk, in the same run, and what clients of a cluster
 * see. One machine of two cores cannot show a cluster's extra throughput
 * (every host, brick and balancer shares the same two cores): this measures
 * costs and waits, not capacity. Needs root and the cluster's packages;
 * brings up its own cluster (`bench`) and removes it. Markdown on stdout.
 *
 * Usage: deno run -A --unstable-net --unstable-worker-options scripts/bench_cluster.ts [options]
 *   --only LIST      staleness, fs, small, publish, loss (default: all)
 *   --runs N         rounds of the big transfers (default 3)
 *   --size SIZE      big file (default 1GiB)
 *   --clients N      clients fetching 64 KiB (default 50)
 *   --duration TIME  window of the 64 KiB fetches per library (default 5s)
 *   --reps N         create-only publishes (default 50)
 *   --window TIME    how long a host stays lost (default 30s)
 *
 * @module
 */

import { parseDuration, parseFlags, parseIntFlag, parseSize } from "../core/cli/cli_args.ts";
import { startCluster } from "./cluster/cluster.ts";
import { missingForCluster } from "./cluster/preflight.ts";
import type { BenchContext } from "./bench/context.ts";
import { bigTransfers, type Library, smallGets } from "./bench/cluster_fs.ts";
import { hostLoss, lossTable, publishAcross, publishTable } from "./bench/cluster_loss.ts";
import { loadTable, seriesTable } from "./bench/report.ts";
import { raceWithRenames, staleness, stalenessTable } from "./bench/cluster_staleness.ts";
import { startNetkitServer } from "./bench/refs.ts";
import { stop } from "./bench/proc.ts";
import { tempDir } from "../tests/temp_dir.ts";

const ALL = ["staleness", "fs", "small", "publish", "loss"];

async function main(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    only: { type: "string" },
    runs: { type: "string" },
    size: { type: "string" },
    clients: { type: "string" },
    duration: { type: "string" },
    reps: { type: "string" },
    window: { type: "string" },
  }, "bench cluster");
  const only = values.only?.split(",") ?? ALL;
  const bad = only.find((s) => !ALL.includes(s));
  if (bad) throw new Error(`--only: unknown scenario '${bad}'`);
  const missing = await missingForCluster();
  if (missing !== null) {
    console.error(`bench cluster: ${missing}`);
    return 1;
  }
  const size = parseSize(values.size ?? "1GiB", "--size");
  const runs = parseIntFlag(values.runs ?? "3", "--runs", 1, 20);
  const print = (s: string) => console.log(s);
  const log = (s: string) => console.error(s);
  await using dir = await tempDir("bench-cluster-");
  await Deno.mkdir(dir.join("library"));
  await Deno.mkdir(dir.join("out"));
  const ctx: BenchContext = {
    dir: dir.path,
    root: dir.join("library"),
    out: dir.join("out"),
    serverCpus: "0",
    clientCpus: "1",
    log,
  };
  await using cluster = await startCluster({ name: "bench", log, removeOnExit: true });
  const [h1, h2] = cluster.hosts;
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  print(`## Cluster benchmark, ${new Date().toISOString()} (load ${load})\n`);
  const fresh = `${cluster.dir}/fresh`;
  const libs: Library[] = [
    { name: "local disk", root: dir.join("library") },
    { name: "GlusterFS", root: `${h1.mount}/bench` },
    { name: "GlusterFS, kernel caches off", root: `${fresh}/bench` },
  ];
  if (only.includes("staleness")) {
    const fresh2 = `${cluster.dir}/fresh2`;
    await cluster.mountAgain(2, fresh2, ["entry-timeout=0", "attribute-timeout=0"]);
    const rounds = 10;
    const rows: Parameters<typeof stalenessTable>[0] = [
      ["host 2, the cluster's mount", staleness(`${h1.mount}/s1`, `${h2.mount}/s1`, rounds)],
      ["host 2, kernel caches off", staleness(`${h1.mount}/s2`, `${fresh2}/s2`, rounds)],
    ];
    print(`### How long host 1's changes stay unseen on host 2 (${rounds} rounds)\n`);
    print(stalenessTable(rows));
    const race = await raceWithRenames(`${h1.mount}/race`, `${h2.mount}/race`, 400);
    print(
      `\nReads on host 2 (lstat, open, fstat, read; and realpath, stat) of a file host 1 ` +
        `overwrote 400 times, 5 ms apart: ` +
        `${race.reads} reads, ${race.estale} ESTALE, ${race.enoent} ENOENT; ` +
        `${race.retryFailed} still failed on one immediate retry.\n`,
    );
  }
  if (only.includes("fs") || only.includes("small")) {
    await cluster.mountAgain(1, fresh, ["entry-timeout=0", "attribute-timeout=0"]);
    await Deno.mkdir(libs[1].root, { recursive: true });
  }
  if (only.includes("fs")) {
    const r = await bigTransfers(ctx, libs, { size, runs });
    print(`### Verified ${values.size ?? "1GiB"} upload, one library after the other\n`);
    print(seriesTable(r.put, size, "put to local disk"));
    print(`\n### Verified ${values.size ?? "1GiB"} download\n`);
    print(seriesTable(r.get, size, "get from local disk"));
  }
  if (only.includes("small")) {
    const clients = parseIntFlag(values.clients ?? "50", "--clients", 1, 5000);
    const durationMs = parseDuration(values.duration ?? "5s", "--duration");
    const r = await smallGets(ctx, libs, { clients, durationMs, warmupMs: 2000 });
    print(`\n### ${clients} clients fetching a 64 KiB file (${durationMs / 1000} s each)\n`);
    print(loadTable(r, false));
  }
  if (only.includes("publish")) {
    const reps = parseIntFlag(values.reps ?? "50", "--reps", 1, 10_000);
    const server = await startNetkitServer({ root: ctx.root, model: "async", cpus: "0-1" });
    try {
      const r = await publishAcross(cluster, dir, server.port, { reps, size: 4096 });
      print(`\n### Create-only publish across hosts (${reps} uploads)\n`);
      print(publishTable(r, 4096));
    } finally {
      await stop(server.proc);
    }
  }
  if (only.includes("loss")) {
    const windowMs = parseDuration(values.window ?? "30s", "--window");
    for (const how of ["kill", "cut"] as const) {
      log(`host loss: ${how}`);
      const r = await hostLoss(cluster, dir, how, windowMs);
      print(
        how === "kill"
          ? `\n### Host 2's netkit processes killed (SIGKILL), ${windowMs / 1000} s\n`
          : `\n### Host 2 cut off the network (its veth down), ${windowMs / 1000} s\n`,
      );
      print(lossTable(r));
    }
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`bench cluster: ${(e as Error).stack ?? e}`);
    Deno.exit(1);
  }
}
