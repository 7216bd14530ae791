/**
 * Scenarios (a) and (b): one big verified download and upload, netkit side by
 * side with its references in the same run, rounds interleaved so noise hits
 * every program alike. Every time is whole-process wall time of the client
 * (startup included, as for the targets), the server on one core and the
 * client on the other, downloads saved to files.
 *
 * @module
 */

import { type BenchContext, randomFile, removeQuietly, sameBytes } from "./context.ts";
import { type Finished, runPinned } from "./proc.ts";
import {
  BARE_COPY,
  type BenchServer,
  DENO_RUN,
  have,
  iperf3,
  MAIN,
  startBareCopy,
  startNetkitServer,
  startVsftpd,
} from "./refs.ts";
import { stop } from "./proc.ts";

/** Times of one program over the runs. */
export interface Series {
  name: string;
  /** Whole-process wall times of the measured runs, ms. */
  ms: number[];
  /** Runs whose result was wrong or whose client failed. */
  failures: number;
}

/** Options of the big-transfer scenarios. */
export interface BigOptions {
  size: number;
  runs: number;
}

const BIG = "big.bin";

async function prepare(ctx: BenchContext, size: number): Promise<string> {
  const path = `${ctx.root}/${BIG}`;
  const have = await Deno.stat(path).catch(() => null);
  if (have?.size !== size) {
    ctx.log(`making a ${size}-byte random file`);
    await randomFile(path, size);
  }
  return path;
}

/**
 * Starts netkit's server (the async model) and, when vsftpd and curl are
 * installed, vsftpd, each pushed onto `servers` for the caller to stop.
 */
async function startServers(
  ctx: BenchContext,
  servers: BenchServer[],
): Promise<{ nk: BenchServer; ftp: BenchServer | null }> {
  const nk = await startNetkitServer({
    root: ctx.root,
    model: "async",
    cpus: ctx.serverCpus,
    cpuProfDir: ctx.cpuProfDir,
  });
  servers.push(nk);
  const withFtp = await have("vsftpd") && await have("curl");
  const ftp = withFtp ? await startVsftpd(ctx.dir, ctx.root, ctx.serverCpus) : null;
  if (ftp) servers.push(ftp);
  return { nk, ftp };
}

/**
 * A round's outcome: its client exited 0 and `landed` holds the bytes of
 * `src`. Says what failed, and removes `landed` either way.
 */
async function verify(
  ctx: BenchContext,
  r: Finished,
  src: string,
  landed: string,
  name: string,
): Promise<{ ms: number; ok: boolean }> {
  const ok = r.code === 0 && await sameBytes(src, landed);
  if (!ok) ctx.log(`  ${name} failed (exit ${r.code}): ${r.stderr.slice(-300)}`);
  await removeQuietly(landed);
  return { ms: r.ms, ok };
}

/** The arguments that run `netkit client 127.0.0.1:PORT ARGS...` for a benchmark. */
export function netkitClient(ctx: BenchContext, port: number, args: string[]): string[] {
  const prof = ctx.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${ctx.cpuProfDir}`] : [];
  return [...DENO_RUN, ...prof, MAIN, "client", `127.0.0.1:${port}`, ...args, "--timeout", "60s"];
}

/** One program's round: run it, check it, clean up. */
export type Round = (run: number) => Promise<{ ms: number; ok: boolean }>;

/** Runs every program `o.runs` times (after an uncounted warm-up round), turns rotating. */
export async function rounds(
  ctx: BenchContext,
  o: BigOptions,
  programs: Array<[string, Round]>,
): Promise<Series[]> {
  const series = programs.map(([name]) => ({ name, ms: [] as number[], failures: 0 }));
  // Round 0 warms caches (the page cache, netkit's digest cache) and is not counted.
  for (let run = 0; run <= o.runs; run++) {
    // Rotate the order each round so no program always goes first.
    for (let k = 0; k < programs.length; k++) {
      const i = (k + run) % programs.length;
      // Untimed: write back what earlier rounds left dirty, so no program
      // pays for another's writeback (on this VM it cost 1 to 2 s per GiB).
      await new Deno.Command("sync").output();
      const r = await programs[i][1](run);
      if (!r.ok) series[i].failures++;
      else if (run > 0) series[i].ms.push(r.ms);
      ctx.log(`  round ${run} ${programs[i][0]}: ${r.ok ? `${r.ms.toFixed(0)} ms` : "FAILED"}`);
    }
  }
  return series;
}

/** Scenario (a): verified download of one big file, netkit vs bare Deno copy vs vsftpd+curl. */
export async function downloadScenario(ctx: BenchContext, o: BigOptions): Promise<Series[]> {
  const src = await prepare(ctx, o.size);
  const servers: BenchServer[] = [];
  try {
    const { nk, ftp } = await startServers(ctx, servers);
    const bare = await startBareCopy(src, ctx.serverCpus);
    servers.push(bare);
    const dest = `${ctx.out}/download.bin`;
    const check = (r: Finished, name: string) => verify(ctx, r, src, dest, name);
    const c = ctx.clientCpus;
    const programs: Array<[string, Round]> = [
      ["netkit get (async)", async () => {
        const args = netkitClient(ctx, nk.port, ["get", BIG, dest, "--overwrite"]);
        return check(await runPinned({ cpus: c, cmd: Deno.execPath(), args }), "netkit");
      }],
      ["bare Deno copy", async () => {
        const args = ["run", "-A", BARE_COPY, "fetch", String(bare.port), dest];
        return check(await runPinned({ cpus: c, cmd: Deno.execPath(), args }), "bare");
      }],
      ["bare Deno copy + XXH3", async () => {
        const args = ["run", "-A", BARE_COPY, "fetch", String(bare.port), dest, "--xxh3"];
        return check(await runPinned({ cpus: c, cmd: Deno.execPath(), args }), "bare+xxh3");
      }],
    ];
    if (ftp) {
      programs.push(["vsftpd + curl", async () => {
        const args = ["-sS", "-o", dest, `ftp://127.0.0.1:${ftp.port}/${BIG}`];
        return check(await runPinned({ cpus: c, cmd: "curl", args }), "curl");
      }]);
    }
    return await rounds(ctx, o, programs);
  } finally {
    for (const s of servers) await stop(s.proc);
  }
}

/** Scenario (b): verified upload of one big file, netkit vs vsftpd with `curl -T`. */
export async function uploadScenario(ctx: BenchContext, o: BigOptions): Promise<Series[]> {
  const src = await prepare(ctx, o.size);
  const servers: BenchServer[] = [];
  try {
    const { nk, ftp } = await startServers(ctx, servers);
    const c = ctx.clientCpus;
    const programs: Array<[string, Round]> = [
      ["netkit put (async)", async (run) => {
        const name = `upload-${run}.bin`;
        const args = netkitClient(ctx, nk.port, ["put", src, name]);
        const r = await runPinned({ cpus: c, cmd: Deno.execPath(), args });
        return verify(ctx, r, src, `${ctx.root}/${name}`, "netkit");
      }],
    ];
    if (ftp) {
      programs.push(["vsftpd + curl -T", async (run) => {
        const name = `upload-${run}.bin`;
        const args = ["-sS", "-T", src, `ftp://127.0.0.1:${ftp.port}/up/${name}`];
        const r = await runPinned({ cpus: c, cmd: "curl", args });
        return verify(ctx, r, src, `${ctx.root}/up/${name}`, "curl");
      }]);
    }
    return await rounds(ctx, o, programs);
  } finally {
    for (const s of servers) await stop(s.proc);
  }
}

/** The raw TCP ceiling: iperf3 with its default writes and with 1 MiB writes, GB/s (medians of `runs`). */
export async function iperfScenario(
  ctx: BenchContext,
  runs: number,
): Promise<Array<[string, number[]]>> {
  if (!await have("iperf3")) return [];
  const out: Array<[string, number[]]> = [["iperf3 (default writes)", []], [
    "iperf3 -l 1M",
    [],
  ]];
  for (let i = 0; i < runs; i++) {
    out[0][1].push(await iperf3(ctx.serverCpus, ctx.clientCpus));
    out[1][1].push(await iperf3(ctx.serverCpus, ctx.clientCpus, "1M"));
  }
  return out;
}
