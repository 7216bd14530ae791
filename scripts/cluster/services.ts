/**
 * netkit on the test hosts: `netkit serve-files` and `netkit http` on each
 * host, inside its network namespace, serving the library folder on that
 * host's mount of the volume, listening on the host's own address. Each is
 * started in a session of its own (it outlives `up`) and noted in the
 * ledger by PID.
 *
 * @module
 */

import { netkitArgs } from "../../tests/cli_helpers.ts";
import { alive, listening, spawnDetached, stopPid, until } from "./exec.ts";
import { clusterDir, type Ledger, namespaceOf } from "./ledger.ts";
import { hostAddress } from "./network.ts";
import { hostPaths } from "./gluster.ts";

/** The two netkit services every host runs. */
export type Service = "files" | "http";

/** The port of each service on every host. */
export const SERVICE_PORTS: Record<Service, number> = { files: 7070, http: 8080 };

/** The library folder on the volume (the volume's root holds only it). */
export const LIBRARY = "library";

/**
 * A small file in the library that the balancers' health checks GET, until
 * the health endpoint (`/health`, issue 15) lands.
 */
export const PROBE_FILE = "health.txt";

/** The library folder as host `i` sees it, on its own mount. */
export function libraryOn(name: string, i: number): string {
  return `${hostPaths(name, i).mount}/${LIBRARY}`;
}

/** The shared token of cluster `name` (both services require it). */
export function tokenOf(name: string): string {
  return Deno.readTextFileSync(`${clusterDir(name)}/token`).trim();
}

/** Makes the library folder, the probe file and the token (once, on the first host's mount). */
export async function prepareLibrary(ledger: Ledger): Promise<void> {
  const { name } = ledger.data;
  const lib = libraryOn(name, 1);
  await Deno.mkdir(lib, { recursive: true });
  await Deno.writeTextFile(`${lib}/${PROBE_FILE}`, "ok\n");
  const token = Array.from(crypto.getRandomValues(new Uint8Array(16)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  await Deno.writeTextFile(`${clusterDir(name)}/token`, token, { mode: 0o600 });
}

/** The `netkit` arguments of `service` on host `i`. */
function serviceArgs(ledger: Ledger, service: Service, i: number): string[] {
  const { name, prefix } = ledger.data;
  const common = [
    "--root",
    libraryOn(name, i),
    "--host",
    hostAddress(prefix, i),
    "--port",
    String(SERVICE_PORTS[service]),
  ];
  if (service === "files") return ["serve-files", ...common, "--shutdown-grace", "10s"];
  // The hosts' network is private: the balancer in front terminates TLS.
  return [
    "http",
    ...common,
    "--webdav",
    "--upload",
    "--overwrite",
    "--mkdir",
    "--delete",
    "--insecure-auth",
  ];
}

/**
 * Starts `service` on host `i` and waits until it accepts connections.
 *
 * @returns its PID
 */
export async function startService(ledger: Ledger, service: Service, i: number): Promise<number> {
  const { name, prefix } = ledger.data;
  const log = `${hostPaths(name, i).base}/${service}.log`;
  // A host name of its own (a UTS namespace), as a real host has: temp
  // files' names carry it. Every link of the chain execs the next.
  const pid = spawnDetached(
    "ip",
    [
      "netns",
      "exec",
      namespaceOf(name, i),
      "unshare",
      "--uts",
      "sh",
      "-c",
      `hostname ${namespaceOf(name, i)} && exec "$@"`,
      "sh",
      Deno.execPath(),
      ...netkitArgs(serviceArgs(ledger, service, i)),
    ],
    log,
    { NETKIT_TOKEN: tokenOf(name), NO_COLOR: "1" },
  );
  ledger.addProcess({ role: service, host: i, pid });
  const address = hostAddress(prefix, i);
  await until(() => {
    if (!alive(pid)) throw new Error(`${service} on host ${i} exited (see its log)`);
    return listening(address, SERVICE_PORTS[service]);
  }, { timeoutMs: 30_000, what: `${service} on host ${i}` });
  return pid;
}

/**
 * Stops `service` on host `i` by PID: SIGTERM (a graceful stop: transfers
 * under way finish) or SIGKILL (a crash).
 */
export async function stopService(
  ledger: Ledger,
  service: Service,
  i: number,
  signal: "SIGTERM" | "SIGKILL" = "SIGTERM",
): Promise<void> {
  const pid = ledger.pidOf(service, i);
  if (pid === null) return;
  if (signal === "SIGKILL" && alive(pid)) Deno.kill(pid, "SIGKILL");
  await stopPid(pid, 15_000);
  ledger.dropProcess(pid);
}
