/**
 * Real TFTP peers from Debian's packages for interop tests: the tftp-hpa
 * client, curl, and the tftpd-hpa server. Each helper says plainly when its
 * program is missing so the tests can skip with a clear name.
 *
 * @module
 */

import { run as runCommand, type RunResult } from "../scripts/cluster/exec.ts";
import { startPeer } from "./ops_helpers.ts";
import { loopbackUdp, RawPeer } from "./tftp_helpers.ts";

/** Where a program lives on the PATH (or in sbin), or null. */
export function findProgram(name: string): string | null {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").concat([
    "/usr/sbin",
    "/sbin",
    "/usr/bin",
  ]);
  for (const d of dirs) {
    try {
      if (Deno.statSync(`${d}/${name}`).isFile) return `${d}/${name}`;
    } catch { /* not here */ }
  }
  return null;
}

/** Runs a peer program to completion (bounded by `timeoutMs`); any exit code is an answer. */
export function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return runCommand(cmd, args, {
    cwd: options.cwd,
    timeoutMs: options.timeoutMs ?? 60_000,
    check: false,
    env: { NO_COLOR: "1" },
  });
}

/** A free UDP port on 127.0.0.1 (free when asked; tiny race accepted). */
export function freeUdpPort(): number {
  const s = loopbackUdp();
  const port = (s.addr as Deno.NetAddr).port;
  s.close();
  return port;
}

/** A running tftpd-hpa, stopped (by its PID) on dispose. */
export interface Tftpd extends AsyncDisposable {
  port: number;
}

/**
 * Starts `in.tftpd -L -a 127.0.0.1:PORT -s DIR` and waits until it answers.
 * It drops to the `tftp` user: `dir` and its files must be world-readable
 * (world-writable with `create`).
 */
export async function startTftpd(
  program: string,
  dir: string,
  create = false,
): Promise<Tftpd> {
  const port = freeUdpPort();
  const args = ["-L", "-a", `127.0.0.1:${port}`, "-s", dir];
  if (create) args.unshift("-c");
  const tftpd = await startPeer(program, args, {
    ready: () => answers(port),
    tries: 50,
    pauseMs: 0,
  });
  return {
    port,
    async [Symbol.asyncDispose]() {
      // tftpd-hpa forks a child per transfer, which may still be dallying and
      // ignores SIGTERM meanwhile: end those by PID too.
      for (const pid of childrenOf(tftpd.child.pid)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* already gone */ }
      }
      await tftpd[Symbol.asyncDispose]();
    },
  };
}

/** PIDs whose parent is `pid` (Linux /proc; empty elsewhere). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const e of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
        const ppid = Number(
          stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1],
        );
        if (ppid === pid) out.push(Number(e.name));
      } catch { /* exited meanwhile */ }
    }
  } catch { /* no /proc */ }
  return out;
}

/** Whether a TFTP server answers on `port` within 100 ms (a read of a missing file). */
async function answers(port: number): Promise<boolean> {
  using peer = new RawPeer();
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
  await peer.send(
    { op: "RRQ", filename: "netkit-probe-missing", mode: "octet", options: new Map() },
    to,
  );
  return (await peer.recv(100)) !== null;
}
