/**
 * TFTP benchmark (issue 6): a 64 MiB download over loopback.
 *
 * 1. curl against tftpd-hpa, against a bare Deno sender (the floor: the least
 *    a Deno program must do, scripts/bench_tftp_bare.ts), against the same
 *    sender on libc's sendto/recvfrom through FFI (scripts/bench_tftp_ffi.ts:
 *    what Deno's async UDP ops cost) and against netkit's server, blksize
 *    1428 and 65464 (lock-step, the same client for all);
 * 2. netkit's client against netkit's server with windowsize 16, and the bare
 *    Deno client against the bare sender with the same window (Deno's ceiling
 *    there).
 *
 * Each case runs `--runs` times (default 3), the cases taking turns; the
 * median is reported, and the ratios that the targets ask about, both
 * as a ratio of medians and as the median of the per-round ratios (cases of
 * one round run seconds apart, so they share the machine's load). Servers run as their own processes; the script re-runs
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
const BARE = new URL("./bench_tftp_bare.ts", import.meta.url).pathname;
const FFI = new URL("./bench_tftp_ffi.ts", import.meta.url).pathname;
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
function netkitClientOnce(
  port: number,
  bs: number,
  window: number,
): Promise<number> {
  return clientOnce([
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
}

/** One bare Deno client download in its own process; the transfer time in ms. */
function bareClientOnce(port: number, bs: number, window: number): Promise<number> {
  return clientOnce([BARE, "get", String(port), "big.bin", String(bs), String(window)]);
}

async function clientOnce(args: string[]): Promise<number> {
  const out = await output(Deno.execPath(), ["run", "-A", "--unstable-net", ...args]);
  const r = JSON.parse(out);
  if (r.bytes !== size) throw new Error(`client got ${r.bytes} bytes`);
  return r.ms;
}

const size = Number(v.size) * 1024 * 1024;
const W16_BARE = "bare Deno client -> bare Deno, blksize 1428, windowsize 16";

/** Prints the table of medians, then the ratios the targets are about. */
function report(times: Map<string, number[]>, runs: number): void {
  const mib = size / 1024 / 1024;
  const mbps = (ms: number) => (size / (ms / 1000) / 1e6).toFixed(1);
  console.log(
    `| case (${mib} MiB download, ${runs} runs) | median time | median throughput | best round |`,
  );
  console.log("|---|---:|---:|---:|");
  for (const [name, ms] of times) {
    const t = median(ms);
    const best = Math.min(...ms);
    console.log(`| ${name} | ${(t / 1000).toFixed(2)} s | ${mbps(t)} MB/s | ${mbps(best)} MB/s |`);
  }
  // Throughput of `a` over that of `b`: b's time over a's.
  const ratio = (label: string, a: string, b: string) => {
    const ta = times.get(a)!, tb = times.get(b)!;
    const paired = median(ta.map((t, i) => tb[i] / t));
    const ofMedians = median(tb) / median(ta);
    console.log(`| ${label} | ${ofMedians.toFixed(2)}x | ${paired.toFixed(2)}x |`);
  };
  console.log("");
  console.log("| throughput ratio | of medians | median per round |");
  console.log("|---|---:|---:|");
  for (const bs of [1428, 65464]) {
    const hpa = `curl -> tftpd-hpa, blksize ${bs}`;
    const bare = `curl -> bare Deno, blksize ${bs}`;
    const nk = `curl -> netkit, blksize ${bs}`;
    ratio(`netkit / tftpd-hpa, blksize ${bs}`, nk, hpa);
    ratio(`bare Deno / tftpd-hpa, blksize ${bs}`, bare, hpa);
    ratio(`netkit / bare Deno, blksize ${bs}`, nk, bare);
    ratio(
      `bare Deno + libc FFI / tftpd-hpa, blksize ${bs}`,
      `curl -> bare Deno + libc FFI, blksize ${bs}`,
      hpa,
    );
  }
  const hpa1428 = "curl -> tftpd-hpa, blksize 1428";
  ratio(
    "netkit windowsize 16 / tftpd-hpa lock-step, blksize 1428",
    "netkit client -> netkit, blksize 1428, windowsize 16",
    hpa1428,
  );
  ratio("bare Deno windowsize 16 / tftpd-hpa lock-step, blksize 1428", W16_BARE, hpa1428);
}

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

    // The servers run side by side and the cases take turns run by run, so
    // load from elsewhere on the machine falls on all of them alike.
    const servers: Deno.ChildProcess[] = [];
    const times = new Map<string, number[]>();
    try {
      // Each server on a free port of its own, stopped with the others at the end.
      const launch = async (cmd: string, args: (port: string) => string[]) => {
        const port = freeUdpPort();
        servers.push(await startProcess(cmd, args(String(port)), port));
        return port;
      };
      const deno = Deno.execPath();
      const denoRun = ["run", "-A", "--unstable-net"];
      const hpaPort = await launch(
        "/usr/sbin/in.tftpd",
        (p) => ["-L", "-a", `127.0.0.1:${p}`, "-s", dir],
      );
      const barePort = await launch(deno, (p) => [...denoRun, BARE, "serve", dir, p]);
      const ffiPort = await launch(deno, (p) => [...denoRun, FFI, dir, p]);
      const nkPort = await launch(
        deno,
        (p) => [...denoRun, SELF, "--role", "serve", "--root", dir, "--port", p],
      );
      const cases: [string, () => Promise<number>][] = [];
      for (const bs of [1428, 65464]) {
        cases.push([`curl -> tftpd-hpa, blksize ${bs}`, () => curlOnce(hpaPort, bs)]);
        cases.push([`curl -> bare Deno, blksize ${bs}`, () => curlOnce(barePort, bs)]);
        cases.push([`curl -> bare Deno + libc FFI, blksize ${bs}`, () => curlOnce(ffiPort, bs)]);
        cases.push([`curl -> netkit, blksize ${bs}`, () => curlOnce(nkPort, bs)]);
      }
      for (const bs of [1428, 65464]) {
        cases.push([
          `netkit client -> netkit, blksize ${bs}, windowsize 16`,
          () => netkitClientOnce(nkPort, bs, 16),
        ]);
      }
      // The bare pair has no 128 KiB cap: at 65464 it is asked for the 2 that
      // netkit's client asks for there.
      cases.push([W16_BARE, () => bareClientOnce(barePort, 1428, 16)]);
      cases.push([
        "bare Deno client -> bare Deno, blksize 65464, windowsize 2",
        () => bareClientOnce(barePort, 65464, 2),
      ]);
      cases.push([
        "netkit client -> netkit, blksize 1428, windowsize 1",
        () => netkitClientOnce(nkPort, 1428, 1),
      ]);
      cases.push([
        "bare Deno client -> bare Deno, blksize 1428, windowsize 1",
        () => bareClientOnce(barePort, 1428, 1),
      ]);
      for (const [name] of cases) times.set(name, []);
      // The order turns by one case each round, so no case always follows the
      // same one: a case right after the FFI sender's transfer measured up to
      // 40 ms slower at blksize 65464, whichever server it was.
      for (let r = 0; r < runs; r++) {
        for (let k = 0; k < cases.length; k++) {
          const [name, once] = cases[(k + r) % cases.length];
          times.get(name)!.push(await once());
        }
      }
    } finally {
      for (const child of servers) await stop(child);
    }
    report(times, runs);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
