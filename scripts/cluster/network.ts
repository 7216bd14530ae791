/**
 * The test cluster's network: one bridge on this machine with a private /24
 * and no route out, and one network namespace per host joined to it by a
 * veth pair. The hosts have no default route, and nothing forwards or
 * translates their traffic: they reach each other and this machine (the
 * bridge's `.254`, where the balancers' upstream traffic comes from), and
 * nothing else.
 *
 * @module
 */

import { run } from "./exec.ts";
import { bridgeOf, type Ledger, namespaceOf, vethOf } from "./ledger.ts";

/** The bridge's own address on the hosts' /24. */
export const BRIDGE_HOST = 254;

/** The address of host `i` (1-based) in the /24 `prefix`. */
export function hostAddress(prefix: string, i: number): string {
  return `${prefix}.${i}`;
}

/**
 * A /24 for cluster `name` that no interface of this machine uses: derived
 * from the name (so two clusters rarely collide), moved on when taken.
 *
 * @returns the first three octets, e.g. `10.213.7`
 */
export async function freePrefix(name: string): Promise<string> {
  const { stdout } = await run("ip", ["-4", "-o", "addr", "show"]);
  const taken = new Set(
    [...stdout.matchAll(/inet (\d+\.\d+\.\d+)\.\d+\//g)].map((m) => m[1]),
  );
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  for (let k = 0; k < 200; k++) {
    const prefix = `10.${200 + ((h + k) % 50)}.${(h >>> 8) % 250}`;
    if (!taken.has(prefix)) return prefix;
  }
  throw new Error("no free 10.x.y.0/24 for the cluster bridge");
}

/** Makes the bridge and `hosts` namespaces, each with `lo` and `eth0` up. */
export async function makeNetwork(ledger: Ledger): Promise<void> {
  const { name, prefix, hosts } = ledger.data;
  const bridge = bridgeOf(name);
  await run("ip", ["link", "add", bridge, "type", "bridge"]);
  ledger.setBridge(bridge);
  await run("ip", ["addr", "add", `${prefix}.${BRIDGE_HOST}/24`, "dev", bridge]);
  await run("ip", ["link", "set", bridge, "up"]);
  for (let i = 1; i <= hosts; i++) {
    const ns = namespaceOf(name, i);
    const veth = vethOf(name, i);
    await run("ip", ["netns", "add", ns]);
    ledger.addNamespace(ns);
    await run("ip", ["link", "add", veth, "type", "veth", "peer", "name", `${veth}p`, "netns", ns]);
    await run("ip", ["link", "set", veth, "master", bridge, "up"]);
    await run("ip", ["-n", ns, "link", "set", `${veth}p`, "name", "eth0"]);
    await run("ip", ["-n", ns, "addr", "add", `${hostAddress(prefix, i)}/24`, "dev", "eth0"]);
    await run("ip", ["-n", ns, "link", "set", "eth0", "up"]);
    await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
  }
}

/** Cuts host `i` off the network (its veth goes down), as a pulled cable would. */
export async function cutHost(ledger: Ledger, i: number): Promise<void> {
  await run("ip", ["link", "set", vethOf(ledger.data.name, i), "down"]);
}

/** Plugs host `i` back in. */
export async function plugHost(ledger: Ledger, i: number): Promise<void> {
  await run("ip", ["link", "set", vethOf(ledger.data.name, i), "up"]);
}

/** The PIDs of every process in namespace `ns` (none when it does not exist). */
export async function namespacePids(ns: string): Promise<number[]> {
  const { stdout } = await run("ip", ["netns", "pids", ns], { check: false });
  return stdout.split("\n").filter((l) => /^\d+$/.test(l.trim())).map(Number);
}

/** The names of this machine's network namespaces. */
export async function namespaces(): Promise<string[]> {
  const { stdout } = await run("ip", ["netns", "list"], { check: false });
  return stdout.split("\n").map((l) => l.split(" ")[0]).filter((n) => n !== "");
}

/** Removes namespaces (their veths go with them) and the bridge; what is gone already is skipped. */
export async function removeNetwork(nsList: string[], bridge: string | null): Promise<void> {
  for (const ns of nsList) {
    await run("ip", ["netns", "del", ns], { check: false });
  }
  if (bridge !== null) await run("ip", ["link", "del", bridge], { check: false });
}
