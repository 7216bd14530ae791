/**
 * Scenarios (c) and (d) and the mixed load: many clients against one netkit
 * server per model, the load generators in their own processes on the
 * client core, the server on the server core.
 *
 * @module
 */

import { type BenchContext, cpuMs, randomFile } from "./context.ts";
import type { BurstPlan, BurstResult, MixEntry, OpsPlan, OpsResult } from "./load.ts";
import { rssKiB, type Started, startPinned, stop } from "./proc.ts";
import { startBareHold } from "./refs.ts";
import { DENO_RUN_LOAD, startNetkitServer } from "./refs.ts";

const LOAD = new URL("./load.ts", import.meta.url).pathname;

/** Options of a load run. */
export interface LoadOptions {
  model: string;
  workers: number;
  clients: number;
  durationMs: number;
  /** Load before the measured window, not counted (failures excepted), ms. */
  warmupMs: number;
  /** Load-generator processes the clients are spread over. */
  procs: number;
  /** Which client the load generator runs. */
  client: "file" | "frames";
  /** Paced load, operations a second over all clients (see `OpsPlan.rate`); absent: closed loop. */
  rate?: number;
}

/** Merged result of a load run. */
export interface LoadResult extends Omit<OpsResult, "kind"> {
  model: string;
  /** Server CPU over the window, % of one core. */
  serverCpu: number;
  /** Load generators' CPU over the window, % of one core. */
  loadCpu: number;
}

function startLoad(ctx: BenchContext, plan: OpsPlan | BurstPlan, stdin = false): Started {
  const prof = ctx.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${ctx.cpuProfDir}`] : [];
  return startPinned({
    cpus: ctx.clientCpus,
    cmd: Deno.execPath(),
    args: [...DENO_RUN_LOAD, ...prof, LOAD, JSON.stringify(plan)],
    stdin,
  });
}

async function resultOf<T>(p: Started, timeoutMs: number): Promise<T> {
  const m = await p.stderr.waitFor(/^RESULT (.*)$/, timeoutMs);
  return JSON.parse(m[1]) as T;
}

/** The library files the load runs use. */
export async function prepareSmallFiles(ctx: BenchContext): Promise<void> {
  for (const [name, size] of [["f4k.bin", 4096], ["f64k.bin", 65536], ["f8m.bin", 8 << 20]]) {
    const st = await Deno.stat(`${ctx.root}/${name}`).catch(() => null);
    if (st?.size !== size) await randomFile(`${ctx.root}/${name}`, size as number);
    await Deno.copyFile(`${ctx.root}/${name}`, `${ctx.dir}/local-${name}`);
  }
}

/** Scenario (c): every client fetches the 64 KiB file again and again. */
export function get64kMix(): MixEntry[] {
  return [{ label: "get 64KiB", op: "get", name: "f64k.bin", weight: 1 }];
}

/** The mixed load: list, small and large gets and puts. */
export function mixedMix(ctx: BenchContext): MixEntry[] {
  return [
    { label: "list", op: "list", weight: 15 },
    { label: "get 4KiB", op: "get", name: "f4k.bin", weight: 30 },
    { label: "get 64KiB", op: "get", name: "f64k.bin", weight: 30 },
    { label: "get 8MiB", op: "get", name: "f8m.bin", weight: 4 },
    { label: "put 64KiB", op: "put", file: `${ctx.dir}/local-f64k.bin`, weight: 18 },
    { label: "put 8MiB", op: "put", file: `${ctx.dir}/local-f8m.bin`, weight: 3 },
  ];
}

/** Runs `mix` for `o.durationMs` against a fresh server of model `o.model`. */
export async function loadRun(
  ctx: BenchContext,
  o: LoadOptions,
  mix: MixEntry[],
): Promise<LoadResult> {
  const server = await startNetkitServer({
    root: ctx.root,
    model: o.model,
    workers: o.workers,
    cpus: ctx.serverCpus,
    cpuProfDir: ctx.cpuProfDir,
  });
  try {
    return await measureLoad(ctx, server, o, mix);
  } finally {
    await stop(server.proc, 15_000);
  }
}

/**
 * Runs `mix` for `o.durationMs` against `server`, already running (its
 * model and workers in `o` only name the result), and measures it.
 */
export async function measureLoad(
  ctx: BenchContext,
  server: { proc: Started; port: number },
  o: LoadOptions,
  mix: MixEntry[],
): Promise<LoadResult> {
  const loads: Started[] = [];
  try {
    // Give every process time to start and connect its clients before the window opens.
    const startAt = Date.now() + 3000 + 500 * o.procs;
    for (let p = 0; p < o.procs; p++) {
      const clients = Math.floor(o.clients / o.procs) + (p < o.clients % o.procs ? 1 : 0);
      loads.push(startLoad(ctx, {
        kind: "ops",
        port: server.port,
        clients,
        startAt,
        warmupMs: o.warmupMs,
        durationMs: o.durationMs,
        mix,
        tmp: ctx.out,
        tag: `${o.model}-p${p}`,
        seed: p + 1,
        client: o.client,
        reconnect: o.model === "loop",
        rate: o.rate ? o.rate / o.procs : undefined,
      }));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, startAt + o.warmupMs - Date.now())));
    const s0 = await cpuMs(server.proc.pid);
    const l0 = await Promise.all(loads.map((l) => cpuMs(l.pid)));
    await new Promise((r) => setTimeout(r, o.durationMs));
    const s1 = await cpuMs(server.proc.pid);
    const l1 = await Promise.all(loads.map((l) => cpuMs(l.pid).catch(() => NaN)));
    const results = await Promise.all(
      loads.map((l) => resultOf<OpsResult>(l, o.warmupMs + o.durationMs + 60_000)),
    );
    const merged: LoadResult = {
      model: `${o.model}${o.model === "loop" ? " (new conn per op)" : ""}, ${o.client} client${
        o.rate ? `, paced at ${o.rate} ops/s` : ""
      }`,
      ms: Math.max(...results.map((r) => r.ms)),
      byLabel: {},
      errors: {},
      connectFailures: 0,
      serverCpu: (s1 - s0) / o.durationMs * 100,
      loadCpu: l1.reduce((s, x, i) => s + x - l0[i], 0) / o.durationMs * 100,
    };
    for (const r of results) {
      merged.connectFailures += r.connectFailures;
      for (const [k, v] of Object.entries(r.errors)) merged.errors[k] = (merged.errors[k] ?? 0) + v;
      for (const [k, v] of Object.entries(r.byLabel)) {
        const m = merged.byLabel[k] ??= { lat: [], bytes: 0, fail: 0 };
        for (const x of v.lat) m.lat.push(x);
        m.bytes += v.bytes;
        m.fail += v.fail;
      }
    }
    return merged;
  } finally {
    for (const l of loads) await stop(l, 5000, 10_000);
  }
}

/** What scenario (d) found for one model. */
export interface BurstReport {
  model: string;
  burst: BurstResult;
  /** Server RSS before the burst, just after it, and after 5 s held idle, KiB. */
  rssBefore: number;
  rssHeld: number;
  rssSettled: number;
  /** The listen socket's backlog as `ss` shows it (Send-Q of the LISTEN line). */
  backlog: string;
  /** Kernel counters over the burst: accept-queue overflows and dropped SYNs. */
  listenOverflows: number;
  listenDrops: number;
}

async function netstat(): Promise<Record<string, number>> {
  const lines = (await Deno.readTextFile("/proc/net/netstat")).split("\n");
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const keys = lines[i].split(/\s+/);
    const vals = lines[i + 1].split(/\s+/);
    const group = keys[0].replace(":", "");
    for (let k = 1; k < keys.length; k++) out[`${group}${keys[k]}`] = Number(vals[k]);
  }
  return out;
}

async function listenBacklog(port: number): Promise<string> {
  const out = await new Deno.Command("ss", {
    args: ["-Hltn", `sport = :${port}`],
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => null);
  const line = out ? new TextDecoder().decode(out.stdout).trim().split("\n")[0] : "";
  return line.split(/\s+/)[2] ?? "?";
}

/** Scenario (d): a burst of `count` handshakes, then all of them held idle. */
export async function burstRun(
  ctx: BenchContext,
  model: string,
  workers: number,
  count: number,
): Promise<BurstReport> {
  const server = model === "bare"
    ? await startBareHold(ctx.serverCpus)
    : await startNetkitServer({ root: ctx.root, model, workers, cpus: ctx.serverCpus });
  let load: Started | undefined;
  try {
    const backlog = await listenBacklog(server.port);
    const rssBefore = await rssKiB(server.proc.pid);
    const n0 = await netstat();
    load = startLoad(ctx, { kind: "burst", port: server.port, count }, true);
    const burst = await resultOf<BurstResult>(load, 300_000);
    const n1 = await netstat();
    const rssHeld = await rssKiB(server.proc.pid);
    // Held idle for a while, the server may have collected the burst's garbage.
    await new Promise((r) => setTimeout(r, 5000));
    const rssSettled = await rssKiB(server.proc.pid);
    return {
      model: model === "bare" ? "bare Deno (16-byte pending read)" : model,
      burst,
      rssBefore,
      rssHeld,
      rssSettled,
      backlog,
      listenOverflows: n1.TcpExtListenOverflows - n0.TcpExtListenOverflows,
      listenDrops: n1.TcpExtListenDrops - n0.TcpExtListenDrops,
    };
  } finally {
    if (load) {
      await load.child.stdin.close().catch(() => {});
      await stop(load, 15_000);
    }
    await stop(server.proc, 15_000);
  }
}
