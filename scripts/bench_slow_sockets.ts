/**
 * Slow sockets against the servers (issue 17, item 3): an honest client's
 * latency, one fresh connection per request, measured alone and then while
 * N other sockets from this host sit idle or trickle an unfinished request
 * (slow-loris: one byte every 2 s). Compared: `netkit http` and nginx (one
 * worker, 4096 connections, its default timeouts, as in `bench_http.ts`),
 * and `netkit serve-files` with its connection policy and, with `--base DIR`
 * (a checkout from before it, e.g. `git archive cd17407 | tar -x -C DIR`),
 * without. Servers run on CPU 0; run this script on CPU 1. `--nofile N`
 * starts the servers with that open-file limit (1024 is a common default)
 * instead of the hard limit.
 *
 * Usage:
 *   taskset -c 1 deno run -A --unstable-net --unstable-worker-options \
 *     scripts/bench_slow_sockets.ts [--sockets 2000] [--seconds 10] [--base DIR] [--nofile N] \
 *     [--only http,nginx,files,files-base]
 *
 * Needs: nginx, taskset (Debian packages nginx, util-linux).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FileClient } from "../client/client.ts";
import { encodeMessage, PROTOCOL_VERSION } from "../protocol/file/messages.ts";
import { type Started, startPinned, stop } from "./bench/proc.ts";
import { DENO_RUN, have, MAIN, nginxConf, waitForListen } from "./bench/refs.ts";
import { freePort } from "./bench/proc.ts";
import { median, percentile, table } from "./bench/stats.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    sockets: { type: "string", default: "2000" },
    seconds: { type: "string", default: "10" },
    base: { type: "string" },
    nofile: { type: "string" },
    only: { type: "string", default: "http,nginx,files,files-base" },
  },
});
const SOCKETS = Number(opt.sockets);
const WINDOW_MS = Number(opt.seconds) * 1000;
const ONLY = opt.only.split(",");

/** `cmd args` run under the open-file limit `--nofile`, when given. */
function withNofile(cmd: string, args: string[]): { cmd: string; args: string[] } {
  if (opt.nofile === undefined) return { cmd, args };
  return {
    cmd: "bash",
    args: ["-c", `ulimit -n ${Number(opt.nofile)}; exec "$0" "$@"`, cmd, ...args],
  };
}
/** One honest request every this many ms during a window. */
const EVERY_MS = 50;
/** An honest request that takes longer than this counts as failed. */
const GIVE_UP_MS = 5000;
const encoder = new TextEncoder();

const dir = await Deno.makeTempDir({ prefix: "netkit-slow-" });
const www = `${dir}/www`;

interface Target {
  name: string;
  /** Starts the server; resolves to its port. */
  start(): Promise<{ proc: Started; port: number }>;
  /** One honest request on a fresh connection; throws on failure. */
  honest(port: number): Promise<void>;
  /** The first bytes of a slow request, and one more byte of it. */
  slow: { head: Uint8Array; drip: Uint8Array };
}

async function httpGet(port: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      encoder.encode("GET /1k.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    const buf = new Uint8Array(4096);
    let text = "";
    for (let i = 0; i < 100; i++) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    if (!text.startsWith("HTTP/1.1 200")) throw new Error(text.slice(0, 40) || "closed");
  } finally {
    conn.close();
  }
}

async function filesList(port: number): Promise<void> {
  await using c = await FileClient.connect({ hostname: "127.0.0.1", port, timeoutMs: GIVE_UP_MS });
  await c.list();
}

const httpSlow = {
  head: encoder.encode("GET /1k.bin HTTP/1.1\r\nHost: x\r\nX-Slow: "),
  drip: encoder.encode("a"),
};
// A HELLO frame cut after its first half, then one byte at a time.
const hello = encodeMessage({
  type: "HELLO",
  version: PROTOCOL_VERSION,
  hashes: ["xxh3-128"],
  token: new Uint8Array(0),
  client: "slow".repeat(50),
});
const filesSlow = { head: hello.subarray(0, 20), drip: hello.subarray(20, 21) };

function netkit(
  args: string[],
  main = MAIN,
): () => Promise<{ proc: Started; port: number }> {
  return async () => {
    const port = freePort();
    const proc = startPinned({
      cpus: "0",
      ...withNofile(Deno.execPath(), [
        ...DENO_RUN,
        main,
        ...args,
        "--port",
        String(port),
        "--quiet",
      ]),
    });
    await waitForListen(port, 20_000);
    return { proc, port };
  };
}

const TARGETS: Target[] = [
  {
    name: "http",
    start: netkit(["http", "--root", www]),
    honest: httpGet,
    slow: httpSlow,
  },
  {
    name: "nginx",
    async start() {
      const port = freePort();
      await Deno.mkdir(`${dir}/nginx/tmp`, { recursive: true });
      await Deno.writeTextFile(`${dir}/nginx/nginx.conf`, nginxConf(`${dir}/nginx`, www, port));
      const proc = startPinned({
        cpus: "0",
        ...withNofile("nginx", ["-p", `${dir}/nginx`, "-c", `${dir}/nginx/nginx.conf`]),
      });
      await waitForListen(port);
      return { proc, port };
    },
    honest: httpGet,
    slow: httpSlow,
  },
  {
    name: "files",
    start: netkit(["serve-files", "--root", www]),
    honest: filesList,
    slow: filesSlow,
  },
  ...(opt.base === undefined ? [] : [{
    name: "files-base",
    start: netkit(["serve-files", "--root", www], `${opt.base}/main.ts`),
    honest: filesList,
    slow: filesSlow,
  }]),
];

/** Honest requests, one every EVERY_MS for WINDOW_MS: latencies and failures. */
async function honestWindow(t: Target, port: number) {
  const ms: number[] = [];
  const failures = new Map<string, number>();
  const runs: Promise<void>[] = [];
  const end = performance.now() + WINDOW_MS;
  while (performance.now() < end) {
    runs.push((async () => {
      const t0 = performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          t.honest(port),
          new Promise((_, reject) =>
            timer = setTimeout(() => reject(new Error("timeout")), GIVE_UP_MS)
          ),
        ]);
        ms.push(performance.now() - t0);
      } catch (e) {
        const why = (e as Error).message.split(":")[0].slice(0, 40);
        failures.set(why, (failures.get(why) ?? 0) + 1);
      } finally {
        clearTimeout(timer);
      }
    })());
    await new Promise((r) => setTimeout(r, EVERY_MS));
  }
  await Promise.all(runs);
  return { ms, failures };
}

/** N sockets from this host: silent, or trickling `slow` one byte every 2 s. */
async function holdSockets(port: number, slow: Target["slow"] | null) {
  const conns: Deno.Conn[] = [];
  let closed = 0;
  for (let i = 0; i < SOCKETS; i++) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(c);
      c.read(new Uint8Array(64 * 1024)).then(() => closed++, () => closed++);
      if (slow) await c.write(slow.head).catch(() => {});
    } catch {
      closed++; // refused outright
    }
  }
  const drip = slow
    ? setInterval(() => {
      for (const c of conns) c.write(slow.drip).catch(() => {});
    }, 2000)
    : undefined;
  return {
    get closed() {
      return closed;
    },
    release() {
      clearInterval(drip);
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed by the server */ }
      }
    },
  };
}

const fmtMs = (xs: number[], p: number) =>
  xs.length ? (p === 50 ? median(xs) : percentile(xs, p)).toFixed(2) : "-";
const fmtFailures = (f: Map<string, number>) =>
  f.size === 0 ? "0" : [...f].map(([k, v]) => `${v} (${k})`).join(", ");

const rows: string[][] = [];
try {
  await Deno.mkdir(www, { recursive: true });
  await Deno.chmod(dir, 0o755); // nginx's worker runs as nobody
  await Deno.writeFile(`${www}/1k.bin`, crypto.getRandomValues(new Uint8Array(1024)));
  for (const t of TARGETS) {
    if (!ONLY.includes(t.name)) continue;
    if (t.name === "nginx" && !(await have("nginx"))) {
      console.error("nginx is not installed: skipped");
      continue;
    }
    const { proc, port } = await t.start();
    try {
      // Warm up: the first request may find the server still loading.
      for (let i = 0; i < 300; i++) {
        if (await t.honest(port).then(() => true, () => false)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const kind of ["none", "idle", "slow-loris"] as const) {
        const held = kind === "none"
          ? null
          : await holdSockets(port, kind === "idle" ? null : t.slow);
        const { ms, failures } = await honestWindow(t, port);
        const stillHeld = held ? SOCKETS - held.closed : 0;
        held?.release();
        rows.push([
          t.name,
          kind === "none" ? "-" : `${SOCKETS} ${kind}`,
          String(ms.length),
          fmtMs(ms, 50),
          fmtMs(ms, 99),
          fmtFailures(failures),
          kind === "none" ? "-" : String(stillHeld),
        ]);
        console.error(rows.at(-1)!.join(" | "));
      }
    } finally {
      await stop(proc);
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

console.log(table(
  [
    "server",
    "other sockets",
    "honest ok",
    "median ms",
    "p99 ms",
    "honest failed",
    "other sockets still open at the end",
  ],
  rows,
));
