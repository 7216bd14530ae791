/**
 * The HTTP benchmark of issue 4: `wrk` against `netkit http`, nginx (one
 * worker, sendfile on, access log off) and the bare `Deno.serve` reference
 * handler (`bench_http_reference.ts`), on the same 1 KiB and 16 KiB files,
 * and a 1 GiB download with curl; servers pinned to CPU 0, the load
 * generator to CPU 1, targets interleaved round by round, medians reported,
 * with each server's CPU time per request (from /proc), which other load on
 * the machine disturbs far less than requests per second.
 * Prints a Markdown table; nothing here runs in CI.
 *
 * Usage: deno run -A --unstable-net --unstable-worker-options scripts/bench_http.ts
 *          [--duration 10] [--rounds 3] [--connections 64] [--no-big] [--no-workers]
 *
 * Needs: wrk, nginx, curl, taskset (Debian packages wrk, nginx, curl, util-linux).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { PERMISSIONS, UNSTABLE, V8_FLAGS } from "./compile.ts";
import { nginxConf } from "./bench/refs.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "64" },
    "no-big": { type: "boolean", default: false },
    "no-workers": { type: "boolean", default: false },
  },
});
const DURATION = Number(opt.duration);
const ROUNDS = Number(opt.rounds);
const CONNS = Number(opt.connections);
const ROOT = new URL("..", import.meta.url).pathname;
const SERVER_CPU = "0";
const CLIENT_CPU = "1";
const PORTS = {
  nginx: 18180,
  netkit: 18181,
  reference: 18182,
  netkit2: 18183,
  reads: 18184,
  url: 18185,
};

const dir = await Deno.makeTempDir({ prefix: "netkit-bench-http-" });
const www = `${dir}/www`;
const children: Deno.ChildProcess[] = [];

/** Waits until `port` accepts a connection (bounded: 10 s). */
async function waitPort(port: number): Promise<void> {
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`nothing listening on ${port}`);
}

/** Starts a pinned server and waits until it listens. */
async function start(cmd: string[], port: number, env: Record<string, string> = {}) {
  const child = new Deno.Command("taskset", {
    args: ["-c", cmd[0] === "--both" ? "0,1" : SERVER_CPU, ...cmd.filter((c) => c !== "--both")],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    env,
  }).spawn();
  children.push(child);
  await waitPort(port);
  return child;
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch { /* gone */ }
  await child.status;
  children.splice(children.indexOf(child), 1);
}

interface WrkResult {
  rps: number;
  p99ms: number;
  /** Server CPU time (user + system) per request, in µs; NaN when unknown. */
  cpuUs: number;
}

const TICK_US = 10_000; // Linux USER_HZ is 100 on every common build

/** CPU ticks (user + system) of `pid` and all its descendants (nginx's worker). */
function cpuTicks(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    let ticks = Number(f[11]) + Number(f[12]); // utime, stime
    const kids = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim();
    for (const k of kids ? kids.split(" ") : []) ticks += cpuTicks(Number(k));
    return ticks;
  } catch {
    return NaN;
  }
}

function ms(text: string): number {
  const m = /([\d.]+)(us|ms|s|m)/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[m[2]];
}

async function wrk(url: string, pid = 0, cpu = CLIENT_CPU): Promise<WrkResult> {
  const t0 = cpuTicks(pid);
  const out = await new Deno.Command("taskset", {
    args: ["-c", cpu, "wrk", "-t1", `-c${CONNS}`, `-d${DURATION}s`, "--latency", url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
  const p99 = /99%\s+(\S+)/.exec(text)?.[1];
  if (/Non-2xx/.test(text)) throw new Error(`non-2xx answers from ${url}:\n${text}`);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN);
  const cpuUs = (cpuTicks(pid) - t0) * TICK_US / requests;
  return { rps, p99ms: p99 ? ms(p99) : NaN, cpuUs };
}

async function curlSpeed(url: string): Promise<number> {
  const out = await new Deno.Command("taskset", {
    args: [
      "-c",
      CLIENT_CPU,
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{speed_download} %{size_download}",
      url,
    ],
    stdout: "piped",
  }).output();
  const [speed, size] = new TextDecoder().decode(out.stdout).split(" ").map(Number);
  if (size !== 1024 ** 3) throw new Error(`short download from ${url}: ${size}`);
  return speed / 1e9; // GB/s
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// netkit runs with the compiled binary's own flags and permissions.
const netkitCmd = (port: number, workers: number, extra: string[] = []) => [
  Deno.execPath(),
  "run",
  ...UNSTABLE,
  ...V8_FLAGS,
  ...PERMISSIONS,
  `${ROOT}main.ts`,
  "http",
  "--root",
  www,
  "--port",
  String(port),
  "--workers",
  String(workers),
  ...extra,
];

try {
  await Deno.chmod(dir, 0o755); // nginx's worker runs as nobody
  await Deno.mkdir(www, { recursive: true });
  await Deno.mkdir(`${dir}/nginx/tmp`, { recursive: true });
  await Deno.writeFile(`${www}/1k.bin`, crypto.getRandomValues(new Uint8Array(1024)));
  await Deno.writeFile(`${www}/16k.bin`, crypto.getRandomValues(new Uint8Array(16384)));
  if (!opt["no-big"]) {
    // Real bytes (not a sparse file), written in 1 MiB blocks; then in the page cache.
    using f = await Deno.open(`${www}/1g.bin`, { write: true, create: true });
    const block = crypto.getRandomValues(new Uint8Array(65536));
    const mib = new Uint8Array(1 << 20);
    for (let i = 0; i < 16; i++) mib.set(block, i * 65536);
    for (let i = 0; i < 1024; i++) await f.write(mib);
  }
  await Deno.writeTextFile(`${dir}/nginx/nginx.conf`, nginxConf(`${dir}/nginx`, www, PORTS.nginx));
  const nginx = await start(
    ["nginx", "-p", `${dir}/nginx`, "-c", `${dir}/nginx/nginx.conf`],
    PORTS.nginx,
  );
  const netkit = await start(netkitCmd(PORTS.netkit, 1, ["--quiet"]), PORTS.netkit);

  const rows: string[] = [];
  const pairs: string[] = [];
  const cpuRows: string[] = [];
  for (const name of ["1k.bin", "16k.bin"]) {
    const results: Record<string, WrkResult[]> = {
      reference: [],
      url: [],
      reads: [],
      netkit: [],
      nginx: [],
    };
    const refCmd = (port: number, extra: string[]) => [
      Deno.execPath(),
      "run",
      "-A",
      `${ROOT}scripts/bench_http_reference.ts`,
      `${www}/${name}`,
      String(port),
      ...extra,
    ];
    const ref = await start(refCmd(PORTS.reference, []), PORTS.reference);
    const url = await start(refCmd(PORTS.url, ["url"]), PORTS.url);
    const reads = await start(refCmd(PORTS.reads, ["reads"]), PORTS.reads);
    for (let r = 0; r < ROUNDS; r++) {
      results.reference.push(await wrk(`http://127.0.0.1:${PORTS.reference}/${name}`, ref.pid));
      results.url.push(await wrk(`http://127.0.0.1:${PORTS.url}/${name}`, url.pid));
      results.reads.push(await wrk(`http://127.0.0.1:${PORTS.reads}/${name}`, reads.pid));
      results.netkit.push(await wrk(`http://127.0.0.1:${PORTS.netkit}/${name}`, netkit.pid));
      results.nginx.push(await wrk(`http://127.0.0.1:${PORTS.nginx}/${name}`, nginx.pid));
    }
    await stop(ref);
    await stop(url);
    await stop(reads);
    const med = (k: string) => ({
      rps: median(results[k].map((x) => x.rps)),
      p99: median(results[k].map((x) => x.p99ms)),
    });
    const [rf, nk, ng] = [med("reference"), med("netkit"), med("nginx")];
    // On a shared machine the load shifts between rounds: the ratio of two
    // targets measured back to back in the same round is steadier.
    const paired = (a: string, b: string) =>
      median(results[a].map((x, i) => x.rps / results[b][i].rps)).toFixed(2);
    // The best round of each approximates its capacity on an unloaded core.
    const best = (k: string) => Math.max(...results[k].map((x) => x.rps));
    const cpu = (k: string) => median(results[k].map((x) => x.cpuUs));
    // Paired per round, like the requests/s ratios: CPU per request drifts with the load too.
    const cpuPaired = (a: string, b: string) =>
      median(results[a].map((x, i) => results[b][i].cpuUs / x.cpuUs)).toFixed(2);
    cpuRows.push(
      `| ${name} | ${cpu("netkit").toFixed(1)} | ${cpu("reference").toFixed(1)} | ` +
        `${cpu("url").toFixed(1)} | ${cpu("reads").toFixed(1)} | ${cpu("nginx").toFixed(1)} | ` +
        `${(cpu("reference") / cpu("netkit")).toFixed(2)}x (paired ${
          cpuPaired("netkit", "reference")
        }x) | ${(cpu("reference") / cpu("url")).toFixed(2)}x | ${
          (cpu("reference") / cpu("reads")).toFixed(2)
        }x | ${(cpu("reads") / cpu("netkit")).toFixed(2)}x (paired ${
          cpuPaired("netkit", "reads")
        }x) | ${(cpu("nginx") / cpu("netkit")).toFixed(2)}x |`,
    );
    pairs.push(
      `| ${name} | ${paired("netkit", "reference")}x | ${paired("netkit", "nginx")}x | ` +
        `${paired("reference", "nginx")}x | ${Math.round(best("netkit"))} / ` +
        `${Math.round(best("reference"))} / ${Math.round(best("nginx"))} = ` +
        `${(best("netkit") / best("reference")).toFixed(2)}x ref, ` +
        `${(best("netkit") / best("nginx")).toFixed(2)}x nginx |`,
    );
    for (
      const [label, m] of [["netkit http", nk], ["bare Deno.serve reference", rf], [
        "nginx",
        ng,
      ]] as const
    ) {
      rows.push(
        `| ${name} | ${label} | ${Math.round(m.rps)} | ${m.p99.toFixed(2)} | ` +
          `${(m.rps / rf.rps).toFixed(2)}x | ${(m.rps / ng.rps).toFixed(2)}x |`,
      );
    }
    console.error(`${name}: all rounds`, JSON.stringify(results));
  }
  console.log(`| file | server | requests/s | p99 ms | vs reference | vs nginx |`);
  console.log(`|---|---|---:|---:|---:|---:|`);
  for (const r of rows) console.log(r);
  console.log(
    `\n| file | netkit / reference (paired) | netkit / nginx (paired) | reference / nginx (paired) | best round: netkit / reference / nginx |`,
  );
  console.log(`|---|---:|---:|---:|---|`);
  for (const p of pairs) console.log(p);
  console.log(
    `\n| file | netkit CPU µs/request | reference | reference reading the URL | ` +
      `reference reading the request | nginx | reference / netkit | reference / URL-reading | ` +
      `reference / request-reading | request-reading reference / netkit | nginx / netkit |`,
  );
  console.log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
  for (const c of cpuRows) console.log(c);

  if (!opt["no-big"]) {
    const speeds: Record<string, number[]> = { netkit: [], nginx: [] };
    for (let r = 0; r < ROUNDS; r++) {
      speeds.netkit.push(await curlSpeed(`http://127.0.0.1:${PORTS.netkit}/1g.bin`));
      speeds.nginx.push(await curlSpeed(`http://127.0.0.1:${PORTS.nginx}/1g.bin`));
    }
    const nk = median(speeds.netkit);
    const ng = median(speeds.nginx);
    console.log(`\n| 1 GiB download (curl) | GB/s (median of ${ROUNDS}) | vs nginx |`);
    console.log(`|---|---:|---:|`);
    console.log(`| netkit http | ${nk.toFixed(2)} | ${(nk / ng).toFixed(2)}x |`);
    console.log(`| nginx | ${ng.toFixed(2)} | 1.00x |`);
    const ratio = median(speeds.netkit.map((x, i) => x / speeds.nginx[i]));
    console.log(`\nPaired per round, netkit / nginx on 1 GiB: ${ratio.toFixed(2)}x`);
    console.error("1 GiB: all rounds", JSON.stringify(speeds));
  }
  await stop(netkit);
  await stop(nginx);

  // Workers: 1 vs 2 isolates. Pinned to one core, 2 workers can only share it;
  // on both cores they compete with wrk for the second one.
  const lines: string[] = [];
  const placements = [["server pinned to CPU 0", false], [
    "server on CPUs 0-1 (wrk on CPU 1)",
    true,
  ]] as const;
  for (const [label, both] of opt["no-workers"] ? [] : placements) {
    const w: Record<number, number[]> = { 1: [], 2: [] };
    const one = await start([
      ...(both ? ["--both"] : []),
      ...netkitCmd(PORTS.netkit, 1, ["--quiet"]),
    ], PORTS.netkit);
    const two = await start([
      ...(both ? ["--both"] : []),
      ...netkitCmd(PORTS.netkit2, 2, ["--quiet"]),
    ], PORTS.netkit2);
    for (let r = 0; r < ROUNDS; r++) {
      w[1].push((await wrk(`http://127.0.0.1:${PORTS.netkit}/1k.bin`)).rps);
      w[2].push((await wrk(`http://127.0.0.1:${PORTS.netkit2}/1k.bin`)).rps);
    }
    await stop(one);
    await stop(two);
    lines.push(
      `| ${label} | ${Math.round(median(w[1]))} | ${Math.round(median(w[2]))} | ` +
        `${median(w[2].map((x, i) => x / w[1][i])).toFixed(2)}x |`,
    );
  }
  if (lines.length > 0) {
    console.log(`\n| 1 KiB, --workers | 1 worker req/s | 2 workers req/s | 2 vs 1 (paired) |`);
    console.log(`|---|---:|---:|---:|`);
    for (const l of lines) console.log(l);
  }
} finally {
  for (const c of [...children]) await stop(c);
  await Deno.remove(dir, { recursive: true });
}
