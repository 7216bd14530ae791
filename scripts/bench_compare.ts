/**
 * Two builds of netkit side by side in one run: this checkout against
 * another (`--base DIR`, e.g. a `git worktree` of an older commit), or one
 * checkout with two sets of server flags (`--flags`), on the scenarios a
 * change must not slow down: a verified big download and upload through the
 * file service (whole-process wall time of the client, as in
 * `bench_files.ts`), many clients fetching a 64 KiB file from the file
 * service (`get64k`: operations a second and server CPU per operation, with
 * `bench_files.ts`'s load generator) and the 1 KiB HTTP rate (wrk, with the
 * server's CPU time per request). Servers run on CPU 0, clients on CPU 1;
 * the two builds take turns in every round (the first to go alternates), so
 * load on the shared machine hits both alike. Prints Markdown tables with
 * medians and per-round paired ratios (B / A, where above 1 means B is faster).
 *
 * Usage:
 *   deno run -A --unstable-net --unstable-worker-options scripts/bench_compare.ts \
 *     --base ../old-checkout [--rounds 7] [--size 1GiB] [--duration 5] \
 *     [--only get,put,get64k,http1k] [--clients 100]
 *   ... scripts/bench_compare.ts --flags-a "" --flags-b="--auth u:p" [--http-auth u:p]
 *   ... scripts/bench_compare.ts --flags-b="--admin 127.0.0.1:0" --only http1k,get64k
 *
 * Needs: taskset, wrk (Debian packages util-linux, wrk).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseSize } from "../core/cli/cli_args.ts";
import { type BenchContext, cpuMs, randomFile, removeQuietly, sameBytes } from "./bench/context.ts";
import { get64kMix, measureLoad } from "./bench/load_runs.ts";
import { runPinned, type Started, startPinned, stop } from "./bench/proc.ts";
import { DENO_RUN, waitForListen } from "./bench/refs.ts";
import { inTurns, median, table } from "./bench/stats.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    base: { type: "string" },
    "flags-a": { type: "string", default: "" },
    "flags-b": { type: "string", default: "" },
    "http-auth": { type: "string" },
    rounds: { type: "string", default: "7" },
    size: { type: "string", default: "1GiB" },
    duration: { type: "string", default: "5" },
    clients: { type: "string", default: "100" },
    only: { type: "string", default: "get,put,get64k,http1k" },
  },
});

const HERE = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const ROUNDS = Number(opt.rounds);
const SIZE = parseSize(opt.size, "--size");
const DURATION = Number(opt.duration);
const ONLY = new Set(opt.only.split(","));
const SERVER_CPU = "0";
const CLIENT_CPU = "1";

/** One side of the comparison: a checkout and the extra server flags. */
interface Build {
  label: string;
  tree: string;
  flags: string[];
}

const words = (s: string) => s.split(/\s+/).filter(Boolean);
const builds: [Build, Build] = opt.base
  ? [
    { label: `A (${opt.base})`, tree: opt.base.replace(/\/$/, ""), flags: words(opt["flags-a"]) },
    { label: "B (this checkout)", tree: HERE, flags: words(opt["flags-b"]) },
  ]
  : [
    { label: `A (${opt["flags-a"] || "no flags"})`, tree: HERE, flags: words(opt["flags-a"]) },
    { label: `B (${opt["flags-b"] || "no flags"})`, tree: HERE, flags: words(opt["flags-b"]) },
  ];

const netkit = (b: Build, ...args: string[]) => [...DENO_RUN, `${b.tree}/main.ts`, ...args];

async function startServer(b: Build, kind: "serve-files" | "http", root: string) {
  const port = kind === "http" ? 18300 + builds.indexOf(b) : 0;
  const args = kind === "http"
    ? netkit(b, "http", "--root", root, "--port", String(port), "--quiet", ...b.flags)
    : netkit(b, "serve-files", "--root", root, "--port", "0", "--quiet", ...b.flags);
  const proc = startPinned({ cpus: SERVER_CPU, cmd: Deno.execPath(), args });
  try {
    // Bounded, but generous: a start on a loaded machine took over 20 s.
    if (kind === "http") {
      await waitForListen(port, 60_000);
      return { proc, port };
    }
    const m = await proc.stderr.waitFor(/serving .* on .*:(\d+) /, 60_000);
    return { proc, port: Number(m[1]) };
  } catch (e) {
    await stop(proc);
    throw e;
  }
}

function report(title: string, unit: string, a: number[], b: number[], higherIsBetter: boolean) {
  const ratio = (x: number, y: number) => higherIsBetter ? y / x : x / y;
  const paired = median(a.map((x, i) => ratio(x, b[i])));
  console.log(`\n### ${title}\n`);
  console.log(table(["build", `median ${unit}`, "rounds"], [
    [builds[0].label, median(a).toFixed(2), a.map((x) => x.toFixed(1)).join(" ")],
    [builds[1].label, median(b).toFixed(2), b.map((x) => x.toFixed(1)).join(" ")],
  ]));
  console.log(`\nB / A, paired per round (above 1: B is faster): **${paired.toFixed(3)}x**`);
}

const dir = await Deno.makeTempDir({ prefix: "netkit-bench-compare-" });
const started: Started[] = [];
try {
  console.log(
    `# netkit A/B: ${ROUNDS} rounds, ${new Date().toISOString()}, load ${
      Deno.loadavg().map((x) => x.toFixed(2)).join(" ")
    }`,
  );
  if (ONLY.has("get") || ONLY.has("put")) {
    const source = `${dir}/source.bin`;
    await randomFile(source, SIZE);
    const servers: { proc: Started; port: number }[] = [];
    for (const [i, b] of builds.entries()) {
      const root = `${dir}/lib${i}`;
      await Deno.mkdir(root);
      await Deno.link(source, `${root}/big.bin`);
      const s = await startServer(b, "serve-files", root);
      started.push(s.proc);
      servers.push(s);
    }
    const times: Record<"get" | "put", number[][]> = { get: [[], []], put: [[], []] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of ["get", "put"] as const) {
        if (!ONLY.has(kind)) continue;
        const ms = await inTurns(builds, r, async (b, i) => {
          const dest = `${dir}/down${i}.bin`;
          const args = kind === "get"
            ? ["get", "big.bin", dest, "--overwrite"]
            : ["put", source, `up${r}.bin`];
          const run = await runPinned({
            cpus: CLIENT_CPU,
            cmd: Deno.execPath(),
            args: netkit(b, "client", `127.0.0.1:${servers[i].port}`, ...args),
          });
          if (run.code !== 0) throw new Error(`${b.label} ${kind} failed: ${run.stderr}`);
          if (kind === "get" && !(await sameBytes(dest, source))) {
            throw new Error(`${b.label}: the download differs`);
          }
          if (kind === "put") await removeQuietly(`${dir}/lib${i}/up${r}.bin`);
          return run.ms;
        });
        ms.forEach((x, i) => times[kind][i].push(x));
      }
      console.error(`round ${r + 1}/${ROUNDS}: ${JSON.stringify(times)}`);
    }
    for (const kind of ["get", "put"] as const) {
      if (!ONLY.has(kind)) continue;
      report(
        `verified ${opt.size} ${kind === "get" ? "download" : "upload"} (client wall time)`,
        "ms",
        times[kind][0],
        times[kind][1],
        false,
      );
    }
    for (const s of started.splice(0)) await stop(s);
  }
  if (ONLY.has("get64k")) {
    const ctx: BenchContext = {
      dir,
      root: `${dir}/lib64k`,
      out: `${dir}/out64k`,
      serverCpus: SERVER_CPU,
      clientCpus: CLIENT_CPU,
      log: (line) => console.error(line),
    };
    await Deno.mkdir(ctx.root);
    await Deno.mkdir(ctx.out);
    await randomFile(`${ctx.root}/f64k.bin`, 65536);
    const servers: { proc: Started; port: number }[] = [];
    for (const b of builds) {
      const s = await startServer(b, "serve-files", ctx.root);
      started.push(s.proc);
      servers.push(s);
    }
    const ops: number[][] = [[], []];
    const cpu: number[][] = [[], []];
    for (let r = 0; r < ROUNDS; r++) {
      const round = await inTurns(builds, r, async (b, i) => {
        const o = {
          model: "async",
          workers: 1,
          clients: Number(opt.clients),
          durationMs: DURATION * 1000,
          warmupMs: 1000,
          procs: 1,
          client: "frames" as const,
        };
        const result = await measureLoad(ctx, servers[i], o, get64kMix());
        const got = result.byLabel["get 64KiB"];
        const failed = (got?.fail ?? 0) + result.connectFailures;
        if (failed > 0) {
          throw new Error(`${b.label}: ${failed} failures ${JSON.stringify(result.errors)}`);
        }
        const n = got?.lat.length ?? 0;
        return {
          ops: n / (result.ms / 1000),
          cpu: result.serverCpu / 100 * o.durationMs * 1000 / n,
        };
      });
      // A load generator that started after its window (a loaded machine) measured nothing.
      if (round.some((x) => !(x.ops > 0))) {
        console.error(`round ${r + 1}/${ROUNDS}: dropped, a side measured no operation`);
        continue;
      }
      round.forEach((x, i) => (ops[i].push(x.ops), cpu[i].push(x.cpu)));
      console.error(`round ${r + 1}/${ROUNDS}: ops/s ${JSON.stringify(ops)}`);
    }
    report(
      `${opt.clients} clients fetching 64 KiB (file service): operations/s`,
      "ops/s",
      ops[0],
      ops[1],
      true,
    );
    report("64 KiB gets: server CPU per operation", "µs", cpu[0], cpu[1], false);
    for (const s of started.splice(0)) await stop(s);
  }
  if (ONLY.has("http1k")) {
    const www = `${dir}/www`;
    await Deno.mkdir(www);
    await Deno.writeFile(`${www}/1k.bin`, crypto.getRandomValues(new Uint8Array(1024)));
    const servers: { proc: Started; port: number }[] = [];
    for (const b of builds) {
      const s = await startServer(b, "http", www);
      started.push(s.proc);
      servers.push(s);
    }
    const rps: number[][] = [[], []];
    const cpu: number[][] = [[], []];
    const auth = opt["http-auth"] ? ["-H", `Authorization: Basic ${btoa(opt["http-auth"])}`] : [];
    for (let r = 0; r < ROUNDS; r++) {
      await inTurns(builds, r, async (_b, i) => {
        const pid = servers[i].proc.pid;
        const c0 = await cpuMs(pid);
        const run = await runPinned({
          cpus: CLIENT_CPU,
          cmd: "wrk",
          args: [
            "-t1",
            "-c64",
            `-d${DURATION}s`,
            ...auth,
            `http://127.0.0.1:${servers[i].port}/1k.bin`,
          ],
        });
        const text = run.stdout;
        if (/Non-2xx/.test(text)) throw new Error(`non-2xx answers:\n${text}`);
        const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN);
        rps[i].push(Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN));
        cpu[i].push((await cpuMs(pid) - c0) * 1000 / requests);
      });
      console.error(`round ${r + 1}/${ROUNDS}: rps ${JSON.stringify(rps)}`);
    }
    report("1 KiB over HTTP (wrk -c64): requests/s", "req/s", rps[0], rps[1], true);
    report("1 KiB over HTTP: server CPU per request", "µs", cpu[0], cpu[1], false);
  }
} finally {
  for (const s of started) await stop(s);
  await Deno.remove(dir, { recursive: true });
}
