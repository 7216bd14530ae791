/**
 * The file-service benchmark (issue 3): netkit's `serve-files` under each
 * server model, side by side in one run with its references (a bare Deno
 * copy, vsftpd with curl, iperf3). Prints markdown tables on stdout and
 * progress on stderr.
 *
 * Usage: deno task bench files [options]   (see USAGE)
 *
 * @module
 */

import { parseDuration, parseFlags, parseIntFlag, parseSize } from "../core/cli/cli_args.ts";
import {
  type BigOptions,
  downloadScenario,
  iperfScenario,
  type Series,
  uploadScenario,
} from "./bench/big_transfers.ts";
import { type BenchContext, waitForCalm } from "./bench/context.ts";
import {
  burstRun,
  get64kMix,
  type LoadResult,
  loadRun,
  mixedMix,
  prepareSmallFiles,
} from "./bench/load_runs.ts";
import { availableModels } from "./bench/refs.ts";
import { burstTable, loadTable, seriesTable, speedTable } from "./bench/report.ts";

/** Help text. */
export const USAGE = `Usage: deno task bench files [options]

Scenarios (default: all):
  download  verified big download vs bare Deno copy vs vsftpd+curl
  upload    verified big upload vs vsftpd (curl -T)
  get64k    many clients fetching a 64 KiB file again and again, per model
  mix       many clients: list, get and put of small and large files, per model
  burst     a burst of connections with the handshake, then all held idle
  iperf     iperf3 as the raw TCP ceiling

Options:
  --only LIST        comma-separated scenarios
  --runs N           rounds of the big transfers and iperf3 (default 5)
  --size SIZE        big file size (default 1GiB)
  --clients N        clients of get64k (default 100)
  --mix-clients N    clients of mix (default 50)
  --duration TIME    window of get64k and mix per model (default 10s)
  --warmup TIME      load before that window, not counted (default 2s)
  --procs N          load-generator processes sharing the clients (default 1)
  --rate LIST        get64k and mix also paced: total operations a second,
                     each client on a fixed schedule, latency counted from
                     the scheduled start (wrk2-style); e.g. 5000,10000
                     (default: closed loop only, as fast as answered)
  --load-client LIST file (FileClient: part files, renames), frames (protocol
                     only, verified, no local files) (default file,frames)
  --connections N    burst size (default 10000)
  --burst-runs N     bursts per server (default 3)
  --calm PCT         before each scenario, wait until CPU pressure (PSI some
                     avg10) is under PCT % (default 15)
  --calm-wait TIME   but wait no longer than this (default 90s)
  --models LIST      server models (default: every one serve-files offers)
  --workers N        Worker isolates of the workers model (default 2)
  --server-cpus CPUS taskset list for servers (default 0)
  --client-cpus CPUS taskset list for clients (default 1)
  --cpu-prof DIR     netkit processes write V8 CPU profiles into DIR
  --json FILE        also write the raw results as JSON`;

const ALL = ["download", "upload", "get64k", "mix", "burst", "iperf"];

/** Runs the file benchmark; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    only: { type: "string" },
    runs: { type: "string" },
    size: { type: "string" },
    clients: { type: "string" },
    "mix-clients": { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    procs: { type: "string" },
    rate: { type: "string" },
    "load-client": { type: "string" },
    connections: { type: "string" },
    "burst-runs": { type: "string" },
    calm: { type: "string" },
    "calm-wait": { type: "string" },
    models: { type: "string" },
    workers: { type: "string" },
    "server-cpus": { type: "string" },
    "client-cpus": { type: "string" },
    "cpu-prof": { type: "string" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  }, "bench files");
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const only = values.only?.split(",") ?? ALL;
  const bad = only.find((s) => !ALL.includes(s));
  if (bad) throw new Error(`--only: unknown scenario '${bad}'`);
  const runs = parseIntFlag(values.runs ?? "5", "--runs", 1, 50);
  const big: BigOptions = { size: parseSize(values.size ?? "1GiB", "--size"), runs };
  const clients = parseIntFlag(values.clients ?? "100", "--clients", 1, 5000);
  const mixClients = parseIntFlag(values["mix-clients"] ?? "50", "--mix-clients", 1, 5000);
  const durationMs = parseDuration(values.duration ?? "10s", "--duration");
  const warmupMs = parseDuration(values.warmup ?? "2s", "--warmup");
  const procs = parseIntFlag(values.procs ?? "1", "--procs", 1, 16);
  const rates = values.rate?.split(",").map((r) => parseIntFlag(r, "--rate", 1, 1_000_000)) ?? [];
  const connections = parseIntFlag(values.connections ?? "10000", "--connections", 1, 18000);
  const kinds = (values["load-client"] ?? "file,frames").split(",");
  if (kinds.some((k) => k !== "file" && k !== "frames")) {
    throw new Error("--load-client: expected file and/or frames");
  }
  const calm = Number(values.calm ?? "15");
  const calmWaitMs = parseDuration(values["calm-wait"] ?? "90s", "--calm-wait");
  const burstRuns = parseIntFlag(values["burst-runs"] ?? "3", "--burst-runs", 1, 20);
  const workers = parseIntFlag(values.workers ?? "2", "--workers", 1, 64);
  const offered = await availableModels();
  const models = values.models?.split(",") ?? offered;
  const missing = models.find((m) => !offered.includes(m));
  if (missing) throw new Error(`--models: serve-files does not offer '${missing}'`);

  const dir = await Deno.makeTempDir({ prefix: "netkit-bench-" });
  const ctx: BenchContext = {
    dir,
    root: `${dir}/library`,
    out: `${dir}/out`,
    serverCpus: values["server-cpus"] ?? "0",
    clientCpus: values["client-cpus"] ?? "1",
    cpuProfDir: values["cpu-prof"],
    log: (line) => console.error(line),
  };
  await Deno.mkdir(ctx.root);
  await Deno.mkdir(ctx.out);
  const raw: Record<string, unknown> = {};
  const print = (s: string) => console.log(s);
  const settle = async (what: string) => {
    const p = await waitForCalm(calm, calmWaitMs);
    const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
    print(`\n(${what}: started ${new Date().toISOString()}, load ${load}, CPU pressure ${p}%)`);
  };
  try {
    print(await header(ctx, models, workers));
    if (only.includes("download")) {
      ctx.log("scenario download");
      await settle("download");
      const s = raw.download = await downloadScenario(ctx, big);
      print(`\n### (a) Verified ${values.size ?? "1GiB"} download, saved to a file\n`);
      print(seriesTable(s, big.size, "bare Deno copy", "vsftpd + curl"));
    }
    if (only.includes("upload")) {
      ctx.log("scenario upload");
      await settle("upload");
      const s: Series[] = raw.upload = await uploadScenario(ctx, big);
      print(`\n### (b) Verified ${values.size ?? "1GiB"} upload\n`);
      print(seriesTable(s, big.size, "vsftpd + curl -T", "vsftpd + curl -T"));
    }
    if (only.includes("get64k") || only.includes("mix")) await prepareSmallFiles(ctx);
    for (
      const [name, n, mix] of [["get64k", clients, get64kMix()], [
        "mix",
        mixClients,
        mixedMix(ctx),
      ]] as const
    ) {
      if (!only.includes(name)) continue;
      const results: LoadResult[] = [];
      await settle(name);
      for (const client of kinds as Array<"file" | "frames">) {
        for (const rate of [undefined, ...rates]) {
          for (const model of models) {
            const pace = rate ? `, paced at ${rate} ops/s` : "";
            ctx.log(`scenario ${name}, model ${model}, ${client} client${pace}`);
            const o = { model, workers, clients: n, durationMs, warmupMs, procs, client, rate };
            results.push(await loadRun(ctx, o, [...mix]));
          }
        }
      }
      raw[name] = results;
      print(
        name === "get64k"
          ? `\n### (c) ${n} clients each fetching a 64 KiB file repeatedly (${
            durationMs / 1000
          } s per model)\n`
          : `\n### Mixed load: ${n} clients, list/get/put of 4 KiB to 8 MiB files (${
            durationMs / 1000
          } s per model)\n`,
      );
      print(loadTable(results, name === "mix"));
    }
    if (only.includes("burst")) {
      const reports = [];
      await settle("burst");
      // The iterative model serves one client at a time: a held connection blocks every other.
      for (let run = 0; run < burstRuns; run++) {
        for (const model of [...models.filter((m) => m !== "loop"), "bare"]) {
          ctx.log(`scenario burst, model ${model}, run ${run + 1}`);
          reports.push(await burstRun(ctx, model, workers, connections));
        }
      }
      raw.burst = reports;
      print(`\n### (d) Burst of ${connections} connections (handshake each), then all held idle\n`);
      print(burstTable(reports, connections));
    }
    if (only.includes("iperf")) {
      ctx.log("scenario iperf");
      await settle("iperf");
      const s = raw.iperf = await iperfScenario(ctx, runs);
      print(`\n### Raw TCP ceiling (iperf3, 1 GiB, no files)\n`);
      print(speedTable(s));
    }
  } finally {
    if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(raw));
    await Deno.remove(dir, { recursive: true });
  }
  return 0;
}

async function header(ctx: BenchContext, models: string[], workers: number): Promise<string> {
  const read = (p: string) => Deno.readTextFile(p).then((s) => s.trim()).catch(() => "?");
  const load = (await read("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  return [
    `Run ${
      new Date().toISOString()
    }: deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores,` +
    ` load average ${load}; servers on cpu ${ctx.serverCpus}, clients on cpu ${ctx.clientCpus};` +
    ` models ${models.join(", ")}${models.includes("workers") ? ` (--workers ${workers})` : ""};` +
    ` somaxconn ${await read("/proc/sys/net/core/somaxconn")},` +
    ` tcp_max_syn_backlog ${await read("/proc/sys/net/ipv4/tcp_max_syn_backlog")}.`,
  ].join("\n");
}

if (import.meta.main) Deno.exit(await main(Deno.args));
