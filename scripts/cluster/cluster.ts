/**
 * A netkit cluster on one machine, for developers and tests: N hosts in
 * network namespaces on a private bridge, a GlusterFS replica-3 volume with
 * a FUSE mount per host, `netkit serve-files` and `netkit http` on each
 * host, and nginx and haproxy in front on this machine's loopback.
 * `startCluster` removes everything it made when it fails half-way; a
 * {@linkcode Cluster} removes everything on disposal.
 *
 * @module
 */

import { dismissGuard, type ExitGuard, startExitGuard } from "./exit_guard.ts";
import { clusterDir, Ledger } from "./ledger.ts";
import { cutHost, freePrefix, hostAddress, makeNetwork, plugHost } from "./network.ts";
import {
  hostPaths,
  killBricks,
  makeVolume,
  mountVolume,
  restartBricks,
  VOLUME_OPTIONS,
} from "./gluster.ts";
import {
  libraryOn,
  prepareLibrary,
  type Service,
  SERVICE_PORTS,
  startService,
  stopService,
  tokenOf,
} from "./services.ts";
import type { BalancerPorts } from "./balancer_config.ts";
import { balancerPorts, setDrained, startBalancers } from "./balancers.ts";
import { tearDown } from "./teardown.ts";

/** Options of {@linkcode startCluster}. */
export interface ClusterOptions {
  /** The cluster's name (1 to 8 of a-z, 0-9): part of its namespaces' names. @default "dev" */
  name?: string;
  /** Hosts (at least 3; the first three hold the bricks). @default 3 */
  hosts?: number;
  /**
   * Extra FUSE mount options; `["entry-timeout=0", "attribute-timeout=0"]`
   * makes another host's changes visible at once, at a cost per lookup
   * (docs/SCALE-OUT.md). @default none
   */
  mountOptions?: string[];
  /** Volume options. @default {@linkcode VOLUME_OPTIONS} */
  volumeOptions?: readonly [string, string][];
  /** Start the netkit services and the balancers. @default true */
  services?: boolean;
  /** Give up (and remove what was made) after this long, ms. @default 120000 */
  timeoutMs?: number;
  /**
   * Remove the cluster when this process ends, however it ends (a failed
   * assertion, an uncaught error, SIGKILL): a guard process, in a session
   * of its own, waits for the end of a pipe from this process and then runs
   * `scripts/cluster.ts down`. For tests; `up` leaves it off. @default false
   */
  removeOnExit?: boolean;
  /** Progress lines. @default none */
  log?: (line: string) => void;
}

/** One host, as clients and tests see it. */
export interface ClusterHost {
  /** 1-based. */
  index: number;
  /** Its address on the bridge. */
  address: string;
  /** Where this machine sees the host's mount of the volume. */
  mount: string;
  /** The library folder on that mount. */
  library: string;
  /** The file protocol's port on the host's address. */
  filesPort: number;
  /** netkit http's port on the host's address. */
  httpPort: number;
}

/** A running cluster; disposing of it removes everything it made. */
export class Cluster implements AsyncDisposable {
  readonly name: string;
  readonly #ledger: Ledger;
  readonly #guard: ExitGuard | null;

  /** @internal use {@linkcode startCluster} or {@linkcode Cluster.attach} */
  constructor(ledger: Ledger, guard: ExitGuard | null = null) {
    this.#ledger = ledger;
    this.#guard = guard;
    this.name = ledger.data.name;
  }

  /** The cluster `name` made earlier (by `up`), or null when there is none. */
  static attach(name: string): Cluster | null {
    const ledger = Ledger.load(name);
    return ledger === null ? null : new Cluster(ledger);
  }

  /** The cluster's folder. */
  get dir(): string {
    return clusterDir(this.name);
  }

  /** The hosts. */
  get hosts(): ClusterHost[] {
    const { prefix, hosts } = this.#ledger.data;
    return Array.from({ length: hosts }, (_, k) => {
      const index = k + 1;
      return {
        index,
        address: hostAddress(prefix, index),
        mount: hostPaths(this.name, index).mount,
        library: libraryOn(this.name, index),
        filesPort: SERVICE_PORTS.files,
        httpPort: SERVICE_PORTS.http,
      };
    });
  }

  /** The token both services require. */
  get token(): string {
    return tokenOf(this.name);
  }

  /** The balancers' loopback ports. */
  get balancers(): BalancerPorts {
    return balancerPorts(this.name);
  }

  /** The PIDs of every process the cluster started, by role and host. */
  get processes(): readonly { role: string; host: number; pid: number }[] {
    return this.#ledger.data.processes;
  }

  /** Stops `service` on host `i`: SIGTERM (graceful) or SIGKILL (a crash). */
  stop(service: Service, i: number, signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    return stopService(this.#ledger, service, i, signal);
  }

  /** Starts `service` on host `i` (after {@linkcode stop}) and waits until it listens. */
  async start(service: Service, i: number): Promise<void> {
    await startService(this.#ledger, service, i);
  }

  /** Kills host `i`'s brick, as a crashed brick process or a failed disk would. */
  killBrick(i: number): Promise<void> {
    return killBricks(this.#ledger, i);
  }

  /** Restarts every brick that is down and waits until all are online. */
  restartBricks(): Promise<void> {
    return restartBricks(this.#ledger);
  }

  /** Cuts host `i` off the network (its cable pulled) or plugs it back in. */
  async cable(i: number, connected: boolean): Promise<void> {
    if (connected) await plugHost(this.#ledger, i);
    else await cutHost(this.#ledger, i);
  }

  /**
   * Takes host `i` out of both balancers and waits (at most 30 s) until
   * nothing runs through them to it any more: what a rolling restart does
   * before stopping a host's services.
   */
  drain(i: number): Promise<void> {
    return setDrained(this.#ledger, i, true);
  }

  /** Puts host `i` back into both balancers and waits until haproxy's checks pass. */
  undrain(i: number): Promise<void> {
    return setDrained(this.#ledger, i, false);
  }

  /**
   * Mounts the volume once more on host `i`, at `path` (under the
   * cluster's folder) with the FUSE mount `options`; `down` removes it.
   */
  async mountAgain(i: number, path: string, options: string[]): Promise<void> {
    if (!path.startsWith(`${this.dir}/`)) throw new Error(`${path} is not under ${this.dir}`);
    await mountVolume(this.#ledger, i, { path, options });
  }

  /** Removes everything the cluster made; lines say what could not be removed. */
  async down(): Promise<string[]> {
    const problems = await tearDown(this.name);
    await dismissGuard(this.#guard);
    return problems;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const problems = await this.down();
    if (problems.length > 0) throw new Error(`cluster ${this.name} left: ${problems.join("; ")}`);
  }
}

/**
 * Makes a cluster (removing an older one of the same name first) and waits
 * until every part answers.
 *
 * @throws Error when a part fails or `timeoutMs` passes; what was made by then is removed
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const name = options.name ?? "dev";
  const hosts = options.hosts ?? 3;
  if (!Number.isInteger(hosts) || hosts < 3 || hosts > 32) {
    throw new RangeError(`hosts must be from 3 to 32 (replica 3), got ${hosts}`);
  }
  const log = options.log ?? (() => {});
  const stale = await tearDown(name);
  if (stale.length > 0) {
    throw new Error(`an older cluster ${name} is in the way: ${stale.join("; ")}`);
  }
  await Deno.mkdir(clusterDir(name), { recursive: true });
  const ledger = Ledger.create(name, await freePrefix(name), hosts, options.mountOptions ?? []);
  const guard = options.removeOnExit ? startExitGuard(name) : null;
  const cluster = new Cluster(ledger, guard);
  const deadline = AbortSignal.timeout(options.timeoutMs ?? 120_000);
  const t0 = performance.now();
  // Between steps: each step is bounded on its own, and none starts after the deadline.
  const step = async (what: string, fn: () => Promise<unknown>) => {
    if (deadline.aborted) throw new Error(`cluster ${name} not up in time (before: ${what})`);
    await fn();
    log(`${((performance.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  };
  try {
    await step(`network: ${hosts} hosts on ${ledger.data.prefix}.0/24`, () => makeNetwork(ledger));
    await step(
      "volume started and mounted on every host",
      () => makeVolume(ledger, options.volumeOptions ?? VOLUME_OPTIONS),
    );
    if (options.services ?? true) {
      await step("library folder and token", () => prepareLibrary(ledger));
      for (let i = 1; i <= hosts; i++) {
        await step(
          `netkit serve-files and http on host ${i}`,
          () => Promise.all([startService(ledger, "files", i), startService(ledger, "http", i)]),
        );
      }
      await step("nginx and haproxy on the loopback", () => startBalancers(ledger));
    }
    return cluster;
  } catch (e) {
    const left = await cluster.down();
    const also = left.length > 0 ? ` (and removing it left: ${left.join("; ")})` : "";
    throw new Error(`${(e as Error).message}${also}`, { cause: e });
  }
}
