/**
 * The programs netkit is measured against, each started by the benchmark
 * itself on 127.0.0.1 and stopped by its PID: netkit's own server, the bare
 * Deno copy (`scripts/bare_copy.ts`), vsftpd (driven by curl) and iperf3.
 *
 * @module
 */

import { freePort, runPinned, type Started, startPinned } from "./proc.ts";
import { PERMISSIONS, UNSTABLE, V8_FLAGS } from "../compile.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
/** `main.ts` of netkit. */
export const MAIN = `${ROOT}main.ts`;
/** The bare copy reference. */
export const BARE_COPY = `${ROOT}scripts/bare_copy.ts`;
/** `deno run` with the flags and permissions the compiled binary gets. */
export const DENO_RUN = ["run", ...UNSTABLE, ...V8_FLAGS, ...PERMISSIONS];
/**
 * `deno run` for the load generator: the same permissions, but V8's own
 * defaults, since it is not netkit (a capped nursery cost it a fifth of
 * its core in garbage collection at 10,000 requests a second).
 */
export const DENO_RUN_LOAD = ["run", ...UNSTABLE, ...PERMISSIONS];

/**
 * Waits until some socket listens on 127.0.0.1:`port`, read from
 * /proc/net/tcp so no probe connection disturbs the server (bounded: `timeoutMs`).
 */
export async function waitForListen(port: number, timeoutMs = 10_000): Promise<void> {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const text = await Deno.readTextFile("/proc/net/tcp");
    for (const line of text.split("\n")) {
      const f = line.trim().split(/\s+/);
      if (f[1] === want && f[3] === "0A") return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

/** A server started for a benchmark. */
export interface BenchServer {
  proc: Started;
  port: number;
}

/** How to start netkit's file server. */
export interface NetkitServerOptions {
  root: string;
  model: string;
  /** Worker count for the workers model. */
  workers?: number;
  cpus: string;
  /** Write a CPU profile into this folder at exit. */
  cpuProfDir?: string;
}

/** Starts `netkit serve-files` in its own pinned process and waits for its "serving" line. */
export async function startNetkitServer(o: NetkitServerOptions): Promise<BenchServer> {
  const prof = o.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${o.cpuProfDir}`] : [];
  const args = [
    ...DENO_RUN,
    ...prof,
    MAIN,
    "serve-files",
    "--root",
    o.root,
    "--port",
    "0",
    "--quiet",
    "--model",
    o.model,
    ...(o.model === "workers" ? ["--workers", String(o.workers ?? 2)] : []),
    "--max-connections",
    "19000",
    "--idle-timeout",
    "10m",
    // A burst of thousands of clients is in its handshake all at once, and
    // on a busy machine the server may take seconds to read their HELLOs.
    "--max-handshakes",
    "19000",
    "--handshake-timeout",
    "2m",
    // Extra server flags to compare, e.g. NETKIT_BENCH_SERVER_ARGS="--accept-queues 8".
    ...(Deno.env.get("NETKIT_BENCH_SERVER_ARGS") ?? "").split(/\s+/).filter(Boolean),
  ];
  const proc = startPinned({ cpus: o.cpus, cmd: Deno.execPath(), args });
  const m = await proc.stderr.waitFor(/serving .* on .*:(\d+) /, 20_000);
  return { proc, port: Number(m[1]) };
}

/** The server models this netkit offers, from `serve-files --help`. */
export async function availableModels(): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...DENO_RUN, MAIN, "serve-files", "--help"],
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const help = new TextDecoder().decode(out.stdout);
  const models = ["loop", "async"];
  if (/\bworkers\b/.test(help) && /--workers/.test(help)) models.push("workers");
  return models;
}

/** Starts the bare copy server sending `file` to every client. */
export async function startBareCopy(file: string, cpus: string): Promise<BenchServer> {
  const port = freePort();
  const proc = startPinned({
    cpus,
    cmd: Deno.execPath(),
    args: ["run", "-A", BARE_COPY, "serve", file, String(port)],
  });
  await proc.stderr.waitFor(/serving on/, 20_000);
  return { proc, port };
}

/** Starts the bare idle-connection reference (`scripts/bench/bare_hold.ts`). */
export async function startBareHold(cpus: string): Promise<BenchServer> {
  const proc = startPinned({
    cpus,
    cmd: Deno.execPath(),
    args: ["run", "-A", "--unstable-net", new URL("./bare_hold.ts", import.meta.url).pathname],
  });
  const m = await proc.stderr.waitFor(/listening on .*:(\d+)/, 20_000);
  return { proc, port: Number(m[1]) };
}

/**
 * Starts vsftpd on 127.0.0.1 with a throwaway config: anonymous access to
 * `root`, uploads allowed into `root/up`, passive mode on loopback.
 */
export async function startVsftpd(dir: string, root: string, cpus: string): Promise<BenchServer> {
  const port = freePort();
  const pasv = 20000 + Math.floor(Math.random() * 20000);
  await Deno.mkdir(`${root}/up`, { recursive: true });
  await Deno.chmod(`${root}/up`, 0o777);
  const conf = `${dir}/vsftpd.conf`;
  await Deno.writeTextFile(
    conf,
    [
      "listen=YES",
      "listen_ipv6=NO",
      "listen_address=127.0.0.1",
      `listen_port=${port}`,
      "background=NO",
      "run_as_launching_user=YES",
      "anonymous_enable=YES",
      "local_enable=NO",
      `anon_root=${root}`,
      "no_anon_password=YES",
      "write_enable=YES",
      "anon_upload_enable=YES",
      "anon_other_write_enable=YES",
      "anon_umask=022",
      "pasv_enable=YES",
      "pasv_address=127.0.0.1",
      `pasv_min_port=${pasv}`,
      `pasv_max_port=${pasv + 50}`,
      "seccomp_sandbox=NO",
      "xferlog_enable=NO",
      `vsftpd_log_file=${dir}/vsftpd.log`,
      "",
    ].join("\n"),
  );
  const proc = startPinned({ cpus, cmd: "vsftpd", args: [conf] });
  await waitForListen(port);
  return { proc, port };
}

/** True when `prog` is on the PATH. */
export async function have(prog: string): Promise<boolean> {
  const out = await new Deno.Command("bash", {
    args: ["-c", `command -v ${prog}`],
    stdout: "null",
    stderr: "null",
  }).output();
  return out.success;
}

/** iperf3 throughput for 1 GiB with `len`-byte writes (undefined for its default), GB/s. */
export async function iperf3(
  serverCpus: string,
  clientCpus: string,
  len?: string,
): Promise<number> {
  const port = freePort();
  const server = startPinned({
    cpus: serverCpus,
    cmd: "iperf3",
    args: ["-s", "-B", "127.0.0.1", "-p", String(port)],
  });
  try {
    await waitForListen(port);
    const r = await runPinned({
      cpus: clientCpus,
      cmd: "iperf3",
      args: [
        "-c",
        "127.0.0.1",
        "-p",
        String(port),
        "-n",
        "1G",
        "-J",
        ...(len ? ["-l", len] : []),
      ],
    }, 60_000);
    if (r.code !== 0) throw new Error(`iperf3 failed: ${r.stderr || r.stdout.slice(0, 300)}`);
    const j = JSON.parse(r.stdout);
    return j.end.sum_received.bits_per_second / 8 / 1e9;
  } finally {
    try {
      server.child.kill("SIGKILL");
    } catch { /* exited already */ }
    await server.child.status;
  }
}

/**
 * nginx's configuration for the benchmarks: one worker, 4096 connections,
 * sendfile, no access log, files from `root` on 127.0.0.1:`port`; its own
 * files in `dir`, which must hold a `tmp` folder.
 */
export function nginxConf(dir: string, root: string, port: number): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path ${dir}/tmp;
  proxy_temp_path ${dir}/tmp;
  fastcgi_temp_path ${dir}/tmp;
  uwsgi_temp_path ${dir}/tmp;
  scgi_temp_path ${dir}/tmp;
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`;
}
