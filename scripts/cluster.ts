/**
 * `deno run -A scripts/cluster.ts up|down|status`: a netkit cluster on
 * this machine (root needed), for developers and CI. N hosts in network
 * namespaces on a private bridge, a GlusterFS replica-3 volume mounted on
 * each, `netkit serve-files` and `netkit http` on each, nginx and haproxy
 * in front on the loopback. docs/SCALE-OUT.md shows the same layout on
 * real machines.
 *
 * Usage:
 *   scripts/cluster.ts up [--name dev] [--hosts 3] [--fresh] [--no-services]
 *   scripts/cluster.ts status [--name dev] [--json]
 *   scripts/cluster.ts down [--name dev]
 *
 * `up` removes an older cluster of the same name first, and everything it
 * made if it fails; `down` removes everything, even after a failed run.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { alive } from "./cluster/exec.ts";
import { Cluster, startCluster } from "./cluster/cluster.ts";
import { missingForCluster } from "./cluster/preflight.ts";
import { isMounted } from "./cluster/gluster.ts";
import { tearDown } from "./cluster/teardown.ts";

const USAGE = `Usage: deno run -A scripts/cluster.ts up|down|status [options]
  --name NAME    the cluster's name, 1 to 8 of a-z 0-9 (default: dev)
  --hosts N      hosts, at least 3 (up; default: 3)
  --fresh        mount with entry-timeout=0,attribute-timeout=0: another
                 host's changes are seen at once, each lookup costs more
  --no-services  the volume only: no netkit, no balancers (up)
  --json         machine-readable status`;

/** Prints where everything is, and whether it still runs. */
async function status(cluster: Cluster, json: boolean): Promise<void> {
  const hosts = await Promise.all(cluster.hosts.map(async (h) => ({
    ...h,
    mounted: await isMounted(h.mount),
  })));
  const processes = cluster.processes.map((p) => ({ ...p, alive: alive(p.pid) }));
  let balancers = null;
  try {
    balancers = cluster.balancers;
  } catch { /* not started */ }
  if (json) {
    console.log(
      JSON.stringify(
        { name: cluster.name, dir: cluster.dir, hosts, processes, balancers },
        null,
        1,
      ),
    );
    return;
  }
  console.log(`cluster ${cluster.name} (${cluster.dir})`);
  for (const h of hosts) {
    const procs = processes.filter((p) => p.host === h.index)
      .map((p) => `${p.role} ${p.pid}${p.alive ? "" : " (gone)"}`).join(", ");
    console.log(
      `  host ${h.index} ${h.address}: files :${h.filesPort}, http :${h.httpPort}; ` +
        `volume ${h.mounted ? "mounted" : "NOT mounted"} on ${h.mount}; ${procs}`,
    );
  }
  if (balancers) {
    const here = processes.filter((p) => p.host === 0)
      .map((p) => `${p.role} ${p.pid}${p.alive ? "" : " (gone)"}`).join(", ");
    console.log(
      `  balancers (${here}): nginx http 127.0.0.1:${balancers.nginxHttp}, ` +
        `files 127.0.0.1:${balancers.nginxFiles}; haproxy http 127.0.0.1:${balancers.haproxyHttp}, ` +
        `files 127.0.0.1:${balancers.haproxyFiles}`,
    );
    console.log(`  token: ${cluster.token}`);
  }
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      name: { type: "string", default: "dev" },
      hosts: { type: "string", default: "3" },
      fresh: { type: "boolean", default: false },
      "no-services": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
  });
  const command = positionals[0];
  if (values.help || !["up", "down", "status"].includes(command ?? "") || positionals.length > 1) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const name = values.name;
  if (command === "down") {
    const problems = await tearDown(name);
    for (const p of problems) console.error(`cluster: ${p}`);
    console.error(
      problems.length === 0 ? `cluster ${name}: removed` : `cluster ${name}: not all removed`,
    );
    return problems.length === 0 ? 0 : 1;
  }
  if (command === "status") {
    const cluster = Cluster.attach(name);
    if (cluster === null) {
      console.error(`cluster ${name}: not up`);
      return 1;
    }
    await status(cluster, values.json);
    return 0;
  }
  const missing = await missingForCluster();
  if (missing !== null) {
    console.error(`cluster: ${missing}`);
    return 1;
  }
  const hosts = Number(values.hosts);
  const cluster = await startCluster({
    name,
    hosts,
    mountOptions: values.fresh ? ["entry-timeout=0", "attribute-timeout=0"] : [],
    services: !values["no-services"],
    log: (line) => console.error(`cluster ${name}: ${line}`),
  });
  await status(cluster, values.json);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`cluster: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
