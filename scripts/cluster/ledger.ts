/**
 * The ledger of a test cluster: every namespace, interface, mount and
 * process `up` makes is written down (to `<dir>/ledger.json`, replaced
 * atomically) the moment it exists, so `down` can remove all of it, by PID
 * and by name, even after a run that failed or was killed half-way. The
 * names themselves follow from the cluster's name, so what a lost ledger
 * would have listed is found again.
 *
 * @module
 */

/** Where every cluster's folder lives. */
export const CLUSTERS_DIR = "/tmp/netkit-cluster";

/** One process the cluster started, to be stopped by PID. */
export interface ProcessEntry {
  /** What it is: `glusterd`, `files`, `http`, `nginx`, `haproxy`. */
  role: string;
  /** The host it runs on (1-based), or 0 for this machine. */
  host: number;
  pid: number;
}

/** What a cluster made, as written down. */
export interface LedgerData {
  name: string;
  /** The first three octets of the hosts' /24, e.g. `10.213.7`. */
  prefix: string;
  hosts: number;
  /** Extra FUSE mount options of every host's mount (e.g. `entry-timeout=0`). */
  mountOptions: string[];
  processes: ProcessEntry[];
  mounts: string[];
  namespaces: string[];
  bridge: string | null;
  /** Hosts taken out of the balancers. */
  drained: number[];
}

/** Checks a cluster name: it becomes part of interface names (15 bytes at most). */
export function checkName(name: string): string {
  if (!/^[a-z0-9]{1,8}$/.test(name)) {
    throw new Error(`cluster name must be 1 to 8 of a-z and 0-9, got '${name}'`);
  }
  return name;
}

/** The folder of cluster `name`. */
export function clusterDir(name: string): string {
  return `${CLUSTERS_DIR}/${checkName(name)}`;
}

/** The network namespace of host `i` (1-based). */
export function namespaceOf(name: string, i: number): string {
  return `nk-${name}-h${i}`;
}

/** The bridge every host's veth joins. */
export function bridgeOf(name: string): string {
  return `nk${name}br`;
}

/** The root-side end of host `i`'s veth pair. */
export function vethOf(name: string, i: number): string {
  return `nk${name}v${i}`;
}

/** The record of one cluster, saved on every change. */
export class Ledger {
  readonly data: LedgerData;
  readonly #path: string;

  private constructor(path: string, data: LedgerData) {
    this.#path = path;
    this.data = data;
  }

  /** A fresh ledger for a cluster about to be made (its folder must exist). */
  static create(name: string, prefix: string, hosts: number, mountOptions: string[]): Ledger {
    const ledger = new Ledger(`${clusterDir(name)}/ledger.json`, {
      name,
      prefix,
      hosts,
      mountOptions,
      processes: [],
      mounts: [],
      namespaces: [],
      bridge: null,
      drained: [],
    });
    ledger.save();
    return ledger;
  }

  /** The saved ledger of `name`, or null when there is none (or it is unreadable). */
  static load(name: string): Ledger | null {
    const path = `${clusterDir(name)}/ledger.json`;
    try {
      return new Ledger(path, JSON.parse(Deno.readTextFileSync(path)) as LedgerData);
    } catch {
      return null;
    }
  }

  /** Writes the ledger (temp file and rename: never half written). */
  save(): void {
    const temp = `${this.#path}.tmp`;
    Deno.writeTextFileSync(temp, JSON.stringify(this.data, null, 1));
    Deno.renameSync(temp, this.#path);
  }

  /** Notes a started process. */
  addProcess(entry: ProcessEntry): void {
    this.data.processes.push(entry);
    this.save();
  }

  /** Forgets a process that was stopped. */
  dropProcess(pid: number): void {
    this.data.processes = this.data.processes.filter((p) => p.pid !== pid);
    this.save();
  }

  /** The PID of `role` on `host`, if one is running. */
  pidOf(role: string, host: number): number | null {
    return this.data.processes.find((p) => p.role === role && p.host === host)?.pid ?? null;
  }

  /** Notes a mount point. */
  addMount(path: string): void {
    this.data.mounts.push(path);
    this.save();
  }

  /** Notes a network namespace. */
  addNamespace(ns: string): void {
    this.data.namespaces.push(ns);
    this.save();
  }

  /** Notes the hosts taken out of the balancers. */
  setDrained(hosts: number[]): void {
    this.data.drained = hosts;
    this.save();
  }

  /** Notes the bridge. */
  setBridge(bridge: string): void {
    this.data.bridge = bridge;
    this.save();
  }
}
