/**
 * Removing a test cluster: everything its ledger lists, and everything its
 * name leads to (namespaces, the bridge, mounts under its folder), so a run
 * that died half-way leaves nothing behind either. Each step goes on when
 * the one before it failed; each is bounded in time.
 *
 * @module
 */

import { stopPid } from "./exec.ts";
import { run } from "./exec.ts";
import { bridgeOf, clusterDir, Ledger } from "./ledger.ts";
import { namespacePids, namespaces, removeNetwork } from "./network.ts";

/** Mount points under `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = await Deno.readTextFile("/proc/mounts");
  return mounts.split("\n").map((l) => l.split(" ")[1]).filter((m) =>
    m !== undefined && (m === dir || m.startsWith(`${dir}/`))
  ).sort((a, b) => b.length - a.length);
}

/**
 * Removes cluster `name`: stops its processes by PID (netkit and the
 * balancers first, then every process left in its namespaces), unmounts
 * its volumes (`umount -l`: a mount whose client died cannot be unmounted
 * otherwise), deletes its namespaces and bridge, and its folder.
 *
 * @returns lines saying what went wrong (empty when all is gone)
 */
export async function tearDown(name: string): Promise<string[]> {
  const problems: string[] = [];
  const dir = clusterDir(name);
  const ledger = Ledger.load(name);
  const step = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
    }
  };
  // The services first, so nothing writes while the volume goes away.
  const own = (ledger?.data.processes ?? []).filter((p) => p.role !== "glusterd");
  await Promise.all(own.map((p) => step(`stop ${p.role} ${p.pid}`, () => stopPid(p.pid, 3000))));
  for (const m of await mountsUnder(dir)) {
    await step(`umount ${m}`, () => run("umount", ["-l", m], { timeoutMs: 10_000 }));
  }
  const ours = (await namespaces()).filter((ns) => ns.startsWith(`nk-${name}-`));
  const nsList = [...new Set([...(ledger?.data.namespaces ?? []), ...ours])];
  for (const ns of nsList) {
    // glusterd, its bricks and self-heal daemon, the FUSE clients: all live in the namespace.
    const pids = await namespacePids(ns);
    await Promise.all(pids.map((pid) => step(`kill ${pid}`, () => stopPid(pid, 1000))));
  }
  await step(
    "remove the network",
    () => removeNetwork(nsList, ledger?.data.bridge ?? bridgeOf(name)),
  );
  const left = await mountsUnder(dir);
  if (left.length > 0) {
    problems.push(`still mounted, folder kept: ${left.join(", ")}`);
  } else {
    await step(`remove ${dir}`, () =>
      Deno.remove(dir, { recursive: true }).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }));
  }
  return problems;
}
