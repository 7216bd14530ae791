/**
 * The cost of the shared file system: one netkit server per library, in
 * the same run and in turns, on the local disk, on a host's GlusterFS mount
 * (the cluster's own mount options) and on a second mount of the volume
 * with the kernel's caches off (`entry-timeout=0,attribute-timeout=0`,
 * what it takes to see another host's changes at once). Verified big
 * downloads and uploads, and many clients fetching a 64 KiB file.
 *
 * @module
 */

import { type BenchContext, randomFile, removeQuietly, sameBytes } from "./context.ts";
import { type BigOptions, netkitClient, type Round, rounds, type Series } from "./big_transfers.ts";
import { get64kMix, type LoadResult, loadRun, prepareSmallFiles } from "./load_runs.ts";
import { runPinned, stop } from "./proc.ts";
import { type BenchServer, startNetkitServer } from "./refs.ts";

/** One library under test. */
export interface Library {
  name: string;
  root: string;
}

const BIG = "big.bin";

async function serveAll(ctx: BenchContext, libs: Library[]): Promise<BenchServer[]> {
  const servers: BenchServer[] = [];
  for (const lib of libs) {
    servers.push(
      await startNetkitServer({ root: lib.root, model: "async", cpus: ctx.serverCpus }),
    );
  }
  return servers;
}

/**
 * Verified uploads of a `o.size` file to each library, then verified
 * downloads of it, in turns.
 *
 * @returns the upload series, then the download series
 */
export async function bigTransfers(
  ctx: BenchContext,
  libs: Library[],
  o: BigOptions,
): Promise<{ put: Series[]; get: Series[] }> {
  const src = `${ctx.dir}/${BIG}`;
  const have = await Deno.stat(src).catch(() => null);
  if (have?.size !== o.size) {
    ctx.log(`making a ${o.size}-byte random file`);
    await randomFile(src, o.size);
  }
  const servers = await serveAll(ctx, libs);
  try {
    const c = ctx.clientCpus;
    const check = async (r: { code: number; ms: number; stderr: string }, file: string) => {
      const ok = r.code === 0 && await sameBytes(src, file);
      if (!ok) ctx.log(`  failed (exit ${r.code}): ${r.stderr.slice(-300)}`);
      return { ms: r.ms, ok };
    };
    const put: Array<[string, Round]> = libs.map((lib, i) => [
      `put to ${lib.name}`,
      async () => {
        const args = netkitClient(ctx, servers[i].port, ["put", src, BIG, "--overwrite"]);
        return check(
          await runPinned({ cpus: c, cmd: Deno.execPath(), args }),
          `${lib.root}/${BIG}`,
        );
      },
    ]);
    const dest = `${ctx.out}/${BIG}`;
    const get: Array<[string, Round]> = libs.map((lib, i) => [
      `get from ${lib.name}`,
      async () => {
        const args = netkitClient(ctx, servers[i].port, ["get", BIG, dest, "--overwrite"]);
        const r = await check(await runPinned({ cpus: c, cmd: Deno.execPath(), args }), dest);
        await removeQuietly(dest);
        return r;
      },
    ]);
    return { put: await rounds(ctx, o, put), get: await rounds(ctx, o, get) };
  } finally {
    for (const s of servers) await stop(s.proc);
  }
}

/** `clients` clients fetching a 64 KiB file from each library in turn. */
export async function smallGets(
  ctx: BenchContext,
  libs: Library[],
  o: { clients: number; durationMs: number; warmupMs: number },
): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  for (const lib of libs) {
    const here = { ...ctx, root: lib.root };
    await prepareSmallFiles(here);
    ctx.log(`64 KiB gets from ${lib.name}`);
    const r = await loadRun(here, {
      model: "async",
      workers: 1,
      clients: o.clients,
      durationMs: o.durationMs,
      warmupMs: o.warmupMs,
      procs: 1,
      client: "frames",
    }, get64kMix());
    results.push({ ...r, model: lib.name });
  }
  return results;
}
