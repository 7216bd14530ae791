/**
 * The balancers in front of the test cluster, on this machine's loopback:
 * nginx and haproxy started (configured by `balancer_config.ts`), and a
 * host drained from both and put back, as a rolling restart does.
 *
 * @module
 */

import { alive, listening, run, spawnDetached, until } from "./exec.ts";
import { clusterDir, type Ledger } from "./ledger.ts";
import { hostAddress } from "./network.ts";
import {
  type BalancerPlan,
  type BalancerPorts,
  haproxyConfig,
  nginxConfig,
} from "./balancer_config.ts";

/** Free TCP ports on 127.0.0.1, as the kernel hands them out now. */
function freePorts(n: number): number[] {
  const listeners = Array.from(
    { length: n },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of listeners) l.close();
  return ports;
}

/** Writes both configurations and starts nginx and haproxy. */
export async function startBalancers(ledger: Ledger): Promise<BalancerPorts> {
  const { name, prefix, hosts } = ledger.data;
  const dir = `${clusterDir(name)}/balancers`;
  for (const sub of ["nginx-body", "nginx-proxy"]) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
    // nginx's workers run as nobody and buffer request bodies here.
    await Deno.chown(`${dir}/${sub}`, 65534, 65534);
  }
  const [nginxHttp, nginxFiles, haproxyHttp, haproxyFiles] = freePorts(4);
  const ports = { nginxHttp, nginxFiles, haproxyHttp, haproxyFiles };
  const plan = {
    hosts: Array.from({ length: hosts }, (_, i) => hostAddress(prefix, i + 1)),
    ports,
    dir,
    drained: [],
  };
  await Deno.writeTextFile(`${dir}/nginx.conf`, nginxConfig(plan));
  await Deno.writeTextFile(`${dir}/haproxy.cfg`, haproxyConfig(plan));
  await run("nginx", ["-t", "-q", "-c", `${dir}/nginx.conf`]);
  await run("haproxy", ["-c", "-q", "-f", `${dir}/haproxy.cfg`]);
  const nginx = spawnDetached("nginx", ["-c", `${dir}/nginx.conf`], `${dir}/nginx.out`);
  ledger.addProcess({ role: "nginx", host: 0, pid: nginx });
  const haproxy = spawnDetached(
    "haproxy",
    ["-db", "-f", `${dir}/haproxy.cfg`],
    `${dir}/haproxy.out`,
  );
  ledger.addProcess({ role: "haproxy", host: 0, pid: haproxy });
  for (
    const [what, pid, port] of [["nginx", nginx, nginxHttp], [
      "haproxy",
      haproxy,
      haproxyHttp,
    ]] as const
  ) {
    await until(() => {
      if (!alive(pid)) throw new Error(`${what} exited (see ${dir}/${what}.out)`);
      return listening("127.0.0.1", port);
    }, { timeoutMs: 10_000, what });
  }
  await Deno.writeTextFile(`${dir}/ports.json`, JSON.stringify(ports));
  return ports;
}

/** The configuration plan of cluster `name`'s running balancers. */
function planOf(ledger: Ledger, drained: readonly number[]): BalancerPlan {
  const { name, prefix, hosts } = ledger.data;
  return {
    hosts: Array.from({ length: hosts }, (_, i) => hostAddress(prefix, i + 1)),
    ports: balancerPorts(name),
    dir: `${clusterDir(name)}/balancers`,
    drained,
  };
}

/**
 * Takes host `i` out of both balancers (`drained`: no new connections go
 * to it; those open finish) or puts it back: haproxy through its admin
 * socket, nginx by a reload of its configuration with the host marked
 * `down` (old workers finish their connections, new ones skip the host).
 * Draining waits (at most 30 s) until nothing runs through a balancer to
 * the host: nginx's old workers have exited and haproxy counts no session
 * on it. Putting back waits until haproxy's checks pass.
 */
export async function setDrained(ledger: Ledger, i: number, drained: boolean): Promise<void> {
  const { name } = ledger.data;
  const state = drained ? "drain" : "ready";
  for (const backend of ["files", "web"]) {
    const answer = await haproxyAdmin(name, `set server ${backend}/h${i} state ${state}`);
    if (answer.trim() !== "") throw new Error(`haproxy: ${answer.trim()}`);
  }
  const now = new Set(ledger.data.drained);
  if (drained) now.add(i);
  else now.delete(i);
  ledger.setDrained([...now].sort());
  const plan = planOf(ledger, ledger.data.drained);
  await Deno.writeTextFile(`${plan.dir}/nginx.conf`, nginxConfig(plan));
  const pid = ledger.pidOf("nginx", 0);
  if (pid === null) throw new Error("nginx is not running");
  const before = new Set(childrenOf(pid));
  Deno.kill(pid, "SIGHUP");
  // The new configuration is in force once a worker started after the reload runs.
  await until(() => childrenOf(pid).some((c) => !before.has(c)), {
    timeoutMs: 10_000,
    what: "nginx to reload",
  });
  if (drained) {
    await until(async () => {
      if (childrenOf(pid).some((c) => before.has(c))) return false;
      // CSV fields: pxname svname qcur qmax scur (current sessions) ...
      const stat = await haproxyAdmin(name, "show stat");
      return !stat.split("\n").some((l) => {
        const f = l.split(",");
        return f[1] === `h${i}` && Number(f[4]) > 0;
      });
    }, { timeoutMs: 30_000, what: `the balancers' connections to host ${i} to end` });
  } else {
    await until(async () => {
      const state = await haproxyAdmin(name, "show servers state");
      // Fields: be_id be_name srv_id srv_name srv_addr srv_op_state (2: running) ...
      const up = (backend: string) =>
        state.split("\n").some((l) => {
          const f = l.split(" ");
          return f[1] === backend && f[3] === `h${i}` && f[5] === "2";
        });
      return up("files") && up("web");
    }, { timeoutMs: 15_000, what: `haproxy to see host ${i} up` });
  }
}

/** The PIDs of `pid`'s children. */
function childrenOf(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/)
      .filter((c) => c !== "").map(Number);
  } catch {
    return [];
  }
}

/** The balancers' ports of cluster `name`, once they run. */
export function balancerPorts(name: string): BalancerPorts {
  return JSON.parse(Deno.readTextFileSync(`${clusterDir(name)}/balancers/ports.json`));
}

/** Sends one command to haproxy's admin socket (e.g. `set server files/h1 state drain`). */
export async function haproxyAdmin(name: string, command: string): Promise<string> {
  const conn = await Deno.connect({
    transport: "unix",
    path: `${clusterDir(name)}/balancers/haproxy.sock`,
  });
  try {
    await conn.write(new TextEncoder().encode(`${command}\n`));
    let text = "";
    const dec = new TextDecoder();
    const buf = new Uint8Array(65536);
    for (let i = 0; i < 1000; i++) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n), { stream: true });
    }
    return text;
  } finally {
    conn.close();
  }
}
