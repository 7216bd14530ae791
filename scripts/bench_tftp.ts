/**
 * TFTP benchmark (issue 6): a 64 MiB download over loopback.
 *
 * 1. curl against tftpd-hpa and against netkit's server, blksize 1428 and
 *    65464 (lock-step, the same client for both servers);
 * 2. netkit's client against netkit's server with windowsize 16.
 *
 * Each case runs `--runs` times (default 3), the cases taking turns; the
 * median is reported. Servers run as their own processes; the script re-runs
 * itself with `--role` for netkit's server and client, so it needs nothing
 * but this repository (and curl and tftpd-hpa).
 *
 *   deno run -A --unstable-net scripts/bench_tftp.ts [--runs 3] [--size 64M]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { main as tftpMain } from "../tftp/cli.ts";
import { tftpGet } from "../tftp/client.ts";
import { freeUdpPort } from "../tests/tftp_peers.ts";

const SELF = new URL(import.meta.url).pathname;
const { values: v } = parseArgs({
  args: Deno.args,
  options: {
    role: { type: "string" },
    runs: { type: "string", default: "3" },
    size: { type: "string", default: "64" },
    port: { type: "string" },
    blksize: { type: "string" },
    windowsize: { type: "string" },
  },
  allowPositionals: true,
  strict: false, // the serve role passes its own flags through
});

/** Child role: a netkit client download timed around the transfer only. */
async function clientRole(): Promise<void> {
  const t0 = performance.now();
  const r = await tftpGet("big.bin", {
    write: (p) => Promise.resolve(p.length),
  }, {
    hostname: "127.0.0.1",
    port: Number(v.port),
    blksize: Number(v.blksize),
    windowsize: v.windowsize ? Number(v.windowsize) : undefined,
  });
  console.log(JSON.stringify({ ms: performance.now() - t0, bytes: r.bytes }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function output(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stderr: "inherit" })
    .output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout);
}

/** Starts a server process and waits until it answers a curl request. */
async function startProcess(cmd: string, args: string[], port: number) {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  for (let i = 0; i < 50 && !exited; i++) {
    const probe = await new Deno.Command("curl", {
      args: [
        "-s",
        "--max-time",
        "1",
        "-o",
        "/dev/null",
        `tftp://127.0.0.1:${port}/tiny`,
      ],
    }).output();
    if (probe.success) return child;
  }
  child.kill("SIGKILL");
  throw new Error(`${cmd} did not start`);
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  child.kill("SIGTERM");
  await child.status;
}

/** One curl download; its own transfer time in ms. */
async function curlOnce(port: number, bs: number): Promise<number> {
  const out = await output("curl", [
    "-sS",
    "-o",
    "/dev/null",
    "-w",
    "%{time_total} %{size_download}",
    "--tftp-blksize",
    String(bs),
    `tftp://127.0.0.1:${port}/big.bin`,
  ]);
  const [t, n] = out.trim().split(" ").map(Number);
  if (n !== size) throw new Error(`curl got ${n} bytes`);
  return t * 1000;
}

/** One netkit client download in its own process; the transfer time in ms. */
async function netkitClientOnce(
  port: number,
  bs: number,
  window: number,
): Promise<number> {
  const out = await output(Deno.execPath(), [
    "run",
    "-A",
    "--unstable-net",
    SELF,
    "--role",
    "client",
    "--port",
    String(port),
    "--blksize",
    String(bs),
    "--windowsize",
    String(window),
  ]);
  const r = JSON.parse(out);
  if (r.bytes !== size) throw new Error(`client got ${r.bytes} bytes`);
  return r.ms;
}

const size = Number(v.size) * 1024 * 1024;

if (v.role === "client") {
  await clientRole();
} else if (v.role === "serve") {
  Deno.exit(await tftpMain(["serve", ...Deno.args.slice(2)]));
} else {
  const runs = Number(v.runs);
  const dir = await Deno.makeTempDir({ prefix: "netkit-bench-tftp-" });
  try {
    await Deno.chmod(dir, 0o755); // tftpd-hpa runs as user tftp
    const chunk = crypto.getRandomValues(new Uint8Array(65536));
    using f = await Deno.open(`${dir}/big.bin`, {
      write: true,
      create: true,
      mode: 0o644,
    });
    for (let at = 0; at < size; at += chunk.length) await f.write(chunk);
    await Deno.writeFile(`${dir}/tiny`, new Uint8Array(1), { mode: 0o644 });
    await Deno.chmod(`${dir}/big.bin`, 0o644);
    await Deno.chmod(`${dir}/tiny`, 0o644);

    // Both servers run side by side and the cases take turns run by run, so
    // load from elsewhere on the machine falls on all of them alike.
    const hpaPort = freeUdpPort();
    const hpa = await startProcess(
      "/usr/sbin/in.tftpd",
      ["-L", "-a", `127.0.0.1:${hpaPort}`, "-s", dir],
      hpaPort,
    );
    const nkPort = freeUdpPort();
    let nk: Deno.ChildProcess | null = null;
    const rows: [string, number][] = [];
    try {
      nk = await startProcess(Deno.execPath(), [
        "run",
        "-A",
        "--unstable-net",
        SELF,
        "--role",
        "serve",
        "--root",
        dir,
        "--port",
        String(nkPort),
      ], nkPort);
      const cases: [string, () => Promise<number>][] = [];
      for (const bs of [1428, 65464]) {
        cases.push([
          `curl -> tftpd-hpa, blksize ${bs}`,
          () => curlOnce(hpaPort, bs),
        ]);
        cases.push([
          `curl -> netkit, blksize ${bs}`,
          () => curlOnce(nkPort, bs),
        ]);
      }
      for (const bs of [1428, 65464]) {
        cases.push([
          `netkit client -> netkit, blksize ${bs}, windowsize 16`,
          () => netkitClientOnce(nkPort, bs, 16),
        ]);
      }
      cases.push([
        "netkit client -> netkit, blksize 1428, windowsize 1",
        () => netkitClientOnce(nkPort, 1428, 1),
      ]);
      const times = cases.map(() => [] as number[]);
      for (let r = 0; r < runs; r++) {
        for (const [i, [, once]] of cases.entries()) {
          times[i].push(await once());
        }
      }
      for (const [i, [name]] of cases.entries()) {
        rows.push([name, median(times[i])]);
      }
    } finally {
      await stop(hpa);
      if (nk) await stop(nk);
    }
    const mib = size / 1024 / 1024;
    console.log(
      `| case (${mib} MiB download, median of ${runs}) | time | throughput |`,
    );
    console.log("|---|---:|---:|");
    for (const [name, ms] of rows) {
      const rate = size / (ms / 1000) / 1e6;
      console.log(
        `| ${name} | ${(ms / 1000).toFixed(2)} s | ${rate.toFixed(1)} MB/s |`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
