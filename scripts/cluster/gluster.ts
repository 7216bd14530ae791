/**
 * GlusterFS on the test hosts: one `glusterd` per host, started by hand in
 * the host's network namespace with a private mount namespace of its own
 * (its state folder bound over `/var/lib/glusterd`, its logs over
 * `/var/log/glusterfs`, a fresh `/run`), the hosts probed into one pool, a
 * replica-3 volume on the first three hosts' bricks, and a FUSE mount per
 * host whose client runs in that host's namespace.
 *
 * @module
 */

import { alive, run, spawnDetached, until } from "./exec.ts";
import { clusterDir, type Ledger, namespaceOf } from "./ledger.ts";
import { hostAddress, namespacePids } from "./network.ts";

/** The volume's name. */
export const VOLUME = "netkit";

/**
 * The volume options the cluster sets, and why (docs/SCALE-OUT.md says
 * more). Each is a measured need of netkit's consistency, not tuning.
 */
export const VOLUME_OPTIONS: readonly [string, string][] = [
  // A host that lost its lock (cut off past the ping timeout) gets EBADFD on
  // fsync instead of writing on: a stale writer's commit fails.
  ["client.strict-locks", "on"],
  // How long I/O waits for a vanished host before going on without it (the
  // default, 42 s, is longer than any client waits).
  ["network.ping-timeout", "10"],
  // Writes need a majority of the bricks: a cut-off host cannot diverge.
  ["cluster.quorum-type", "auto"],
  // Bricks tell clients when a file changes, so metadata caches drop it at
  // once instead of at their timeout.
  ["features.cache-invalidation", "on"],
  ["performance.cache-invalidation", "on"],
];

/** Paths of host `i`'s GlusterFS state under the cluster folder. */
export function hostPaths(name: string, i: number) {
  const base = `${clusterDir(name)}/h${i}`;
  return {
    base,
    state: `${base}/glusterd`,
    logs: `${base}/log`,
    brick: `${base}/brick`,
    mount: `${base}/mnt`,
  };
}

/** The hosts that hold a brick: the first three. */
export const BRICK_HOSTS = [1, 2, 3] as const;

/**
 * Starts `glusterd` on every host, probes them into one pool, creates and
 * starts the replica-3 volume, and mounts it on every host.
 *
 * @param options volume options set before the volume starts
 */
export async function makeVolume(
  ledger: Ledger,
  options: readonly [string, string][] = VOLUME_OPTIONS,
): Promise<void> {
  const { name, prefix, hosts } = ledger.data;
  for (let i = 1; i <= hosts; i++) await startGlusterd(ledger, i);
  for (let i = 1; i <= hosts; i++) {
    await until(() => listeningIn(namespaceOf(name, i), 24007), {
      timeoutMs: 20_000,
      what: `glusterd of host ${i}`,
    });
  }
  for (let i = 2; i <= hosts; i++) {
    await gluster(ledger, 1, ["peer", "probe", hostAddress(prefix, i)]);
  }
  await until(async () => {
    const { stdout } = await gluster(ledger, 1, ["pool", "list"]);
    return stdout.split("\n").filter((l) => l.includes("Connected")).length === hosts;
  }, { timeoutMs: 30_000, what: "every glusterd to join the pool" });
  const bricks = BRICK_HOSTS.map((i) => `${hostAddress(prefix, i)}:${hostPaths(name, i).brick}`);
  // `volume create` asks every peer; one that has just joined may not be ready yet.
  await until(
    () => gluster(ledger, 1, ["volume", "create", VOLUME, "replica", "3", ...bricks, "force"]),
    { timeoutMs: 30_000, what: "the volume to be created" },
  );
  for (const [key, value] of options) {
    await gluster(ledger, 1, ["volume", "set", VOLUME, key, value]);
  }
  await gluster(ledger, 1, ["volume", "start", VOLUME], 60_000);
  for (let i = 1; i <= hosts; i++) await mountVolume(ledger, i);
}

/** Runs the gluster CLI against host `i`'s glusterd, inside its namespaces. */
export function gluster(ledger: Ledger, i: number, args: string[], timeoutMs = 30_000) {
  const pid = ledger.pidOf("glusterd", i);
  if (pid === null) throw new Error(`host ${i} runs no glusterd`);
  return run("nsenter", ["-t", String(pid), "-m", "-n", "gluster", "--mode=script", ...args], {
    timeoutMs,
  });
}

async function startGlusterd(ledger: Ledger, i: number): Promise<void> {
  const { name } = ledger.data;
  const p = hostPaths(name, i);
  for (const dir of [p.state, p.logs, p.brick, p.mount]) await Deno.mkdir(dir, { recursive: true });
  await run("cp", ["-a", "/var/lib/glusterd/groups", "/var/lib/glusterd/hooks", p.state]);
  const script = [
    `mount --bind ${p.state} /var/lib/glusterd`,
    `mount --bind ${p.logs} /var/log/glusterfs`,
    "mount -t tmpfs tmpfs /run",
    "mkdir -p /run/gluster",
    "exec glusterd -N",
  ].join(" && ");
  const pid = spawnDetached("ip", [
    "netns",
    "exec",
    namespaceOf(name, i),
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    script,
  ], `${p.base}/glusterd.out`);
  ledger.addProcess({ role: "glusterd", host: i, pid });
}

async function listeningIn(ns: string, port: number): Promise<boolean> {
  const { stdout } = await run("ip", ["netns", "exec", ns, "ss", "-Htln", `sport = :${port}`]);
  return stdout.trim() !== "";
}

/**
 * Mounts the volume on host `i` (FUSE client in its namespace) and waits
 * until it answers: at the host's own mount point with the cluster's mount
 * options, or at `at` with `extra` options (a second mount, e.g. for a
 * benchmark; anything under the cluster's folder is unmounted by `down`).
 */
export async function mountVolume(
  ledger: Ledger,
  i: number,
  at?: { path: string; options: string[] },
): Promise<void> {
  const { name, prefix } = ledger.data;
  const p = hostPaths(name, i);
  const path = at?.path ?? p.mount;
  const servers = BRICK_HOSTS.filter((b) => b !== i).map((b) => hostAddress(prefix, b));
  const server = i <= BRICK_HOSTS.length ? hostAddress(prefix, i) : servers[0];
  await Deno.mkdir(path, { recursive: true });
  await run("nsenter", [
    `--net=/run/netns/${namespaceOf(name, i)}`,
    "mount",
    "-t",
    "glusterfs",
    "-o",
    [
      `log-file=${p.logs}/client${at ? "-extra" : ""}.log`,
      `backup-volfile-servers=${servers.join(":")}`,
      ...(at?.options ?? ledger.data.mountOptions),
    ].join(","),
    `${server}:/${VOLUME}`,
    path,
  ], { timeoutMs: 30_000 });
  ledger.addMount(path);
  await until(() => isMounted(path), { timeoutMs: 15_000, what: `the mount on host ${i}` });
}

/** True when `path` is a GlusterFS mount point now. */
export async function isMounted(path: string): Promise<boolean> {
  const mounts = await Deno.readTextFile("/proc/mounts");
  return mounts.split("\n").some((l) => l.split(" ")[1] === path && l.includes("fuse.glusterfs"));
}

/** The PIDs of host `i`'s brick processes (glusterfsd). */
export async function brickPids(ledger: Ledger, i: number): Promise<number[]> {
  const pids = await namespacePids(namespaceOf(ledger.data.name, i));
  return pids.filter((pid) => {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/comm`).trim() === "glusterfsd";
    } catch {
      return false;
    }
  });
}

/** Kills host `i`'s bricks (SIGKILL), as a failed disk or a crashed brick would. */
export async function killBricks(ledger: Ledger, i: number): Promise<void> {
  const pids = await brickPids(ledger, i);
  for (const pid of pids) Deno.kill(pid, "SIGKILL");
  await until(() => pids.every((pid) => !alive(pid)), { timeoutMs: 5000, what: "bricks to die" });
}

/**
 * Starts bricks that are down again (`volume start force`) and waits until
 * every brick is online. The start is repeated while one is missing: just
 * after a kill, glusterd may still take the dead brick for a running one.
 */
export async function restartBricks(ledger: Ledger): Promise<void> {
  await until(async () => {
    const { stdout } = await gluster(ledger, 1, ["volume", "status", VOLUME, "detail"]);
    const online = [...stdout.matchAll(/^Online\s*:\s*(\S)/gm)].map((m) => m[1]);
    if (online.length === BRICK_HOSTS.length && online.every((o) => o === "Y")) return true;
    await gluster(ledger, 1, ["volume", "start", VOLUME, "force"], 60_000);
    return false;
  }, { timeoutMs: 60_000, what: "every brick to be online" });
}
