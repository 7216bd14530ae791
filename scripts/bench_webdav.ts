/**
 * WebDAV benchmarks, side by side in one run:
 *
 * 1. PROPFIND Depth 1 on a folder of 10,000 files (allprop, and the named
 *    properties rclone asks for): netkit against Apache mod_dav, taking
 *    turns, medians and paired ratios; netkit's resident memory sampled
 *    while it answers, also on a folder ten times larger (the multistatus
 *    is streamed, so memory should not grow with the folder).
 * 2. GET and PUT of a large file: curl against `netkit http --webdav` and
 *    against plain `netkit http`, and rclone (a WebDAV client) against the
 *    WebDAV server.
 *
 * Servers run on CPU 0, clients on CPU 1 (`taskset`), over 127.0.0.1.
 *
 *     deno run -A --unstable-net scripts/bench_webdav.ts [--files 10000] [--big 100000]
 *       [--rounds 7] [--size-mib 256] [--transfer-rounds 5] [--only propfind,transfers]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fmt, median, table } from "./bench/stats.ts";
import { freePort, spawnListening, startApache, stop, which } from "./dav_peers.ts";

const { values: v } = parseArgs({
  args: Deno.args,
  options: {
    files: { type: "string", default: "10000" },
    big: { type: "string", default: "100000" },
    rounds: { type: "string", default: "7" },
    "size-mib": { type: "string", default: "256" },
    "transfer-rounds": { type: "string", default: "5" },
    only: { type: "string", default: "propfind,transfers" },
  },
});
const FILES = Number(v.files);
const BIG = Number(v.big);
const ROUNDS = Number(v.rounds);
const SIZE = Number(v["size-mib"]) << 20;
const TROUNDS = Number(v["transfer-rounds"]);
const ROOT = new URL("..", import.meta.url).pathname;
const CREDS = "bench:bench";

const NAMED = `<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop>` +
  `<d:displayname/><d:getlastmodified/><d:getcontentlength/><d:resourcetype/><d:getcontenttype/>` +
  `<d:getetag/></d:prop></d:propfind>`;

/** A running netkit server in its own process. */
interface Netkit extends AsyncDisposable {
  url: string;
  pid: number;
}

async function startNetkit(root: string, webdav: boolean): Promise<Netkit> {
  const port = freePort();
  const args = [
    "-c",
    "0",
    Deno.execPath(),
    "run",
    "-A",
    "--unstable-net",
    "--unstable-worker-options",
    `${ROOT}main.ts`,
    "http",
    "--root",
    root,
    "--port",
    String(port),
    "--upload",
    "--overwrite",
    "--mkdir",
    "--delete",
    "--auth",
    CREDS,
    "--quiet",
    "--no-compress",
    ...(webdav ? ["--webdav"] : []),
  ];
  const child = await spawnListening("taskset", args, port);
  return {
    url: `http://127.0.0.1:${port}/`,
    pid: child.pid,
    [Symbol.asyncDispose]: () => stop(child),
  };
}

async function curl(args: string[]): Promise<{ seconds: number; bytes: number }> {
  const out = await new Deno.Command("taskset", {
    args: [
      "-c",
      "1",
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{time_total} %{size_download} %{http_code}",
      ...args,
    ],
    stdout: "piped",
  }).output();
  const [t, n, code] = new TextDecoder().decode(out.stdout).trim().split(" ");
  if (!/^2/.test(code)) throw new Error(`curl ${args.join(" ")}: HTTP ${code}`);
  return { seconds: Number(t), bytes: Number(n) };
}

function propfind(url: string, body: string | null) {
  const args = ["-X", "PROPFIND", "-H", "Depth: 1", "-u", CREDS];
  if (body !== null) args.push("-H", "Content-Type: application/xml", "--data-binary", body);
  return curl([...args, url]);
}

/** Samples VmRSS of `pid` every 2 ms while `work` runs; returns the work and the peak in KiB. */
async function peakRss<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ result: T; peakKiB: number; baseKiB: number }> {
  const rss = () => {
    const m = /VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) : 0;
  };
  const baseKiB = rss();
  let peakKiB = baseKiB;
  const timer = setInterval(() => peakKiB = Math.max(peakKiB, rss()), 2);
  try {
    return { result: await work(), peakKiB: Math.max(peakKiB, rss()), baseKiB };
  } finally {
    clearInterval(timer);
  }
}

async function makeFolder(path: string, n: number): Promise<void> {
  await Deno.mkdir(path, { recursive: true });
  const bytes = new Uint8Array(1000);
  for (let i = 0; i < n; i += 500) {
    await Promise.all(
      Array.from(
        { length: Math.min(500, n - i) },
        (_, j) => Deno.writeFile(`${path}/file-${String(i + j).padStart(6, "0")}.txt`, bytes),
      ),
    );
  }
}

async function propfindBench(base: string): Promise<string> {
  const dir = `${base}/lib`;
  await makeFolder(`${dir}/many`, FILES);
  await using apache = await startApache(dir, "0");
  await using netkit = await startNetkit(dir, true);
  const lines: string[] = [];
  for (const [label, body] of [["allprop", null], ["named (rclone's)", NAMED]] as const) {
    const times: Record<string, number[]> = { netkit: [], apache: [] };
    const sizes: Record<string, number> = {};
    for (const url of [netkit.url, apache.url]) await propfind(`${url}many/`, body); // warm up
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 ? ["apache", "netkit"] : ["netkit", "apache"];
      for (const who of order) {
        const url = who === "netkit" ? netkit.url : apache.url;
        const { seconds, bytes } = await propfind(`${url}many/`, body);
        times[who].push(seconds);
        sizes[who] = bytes;
      }
    }
    const paired = times.netkit.map((t, i) => times.apache[i] / t);
    lines.push(
      `| ${label} | ${FILES} | ${fmt(median(times.netkit), 3)} s (${
        (sizes.netkit / 1e6).toFixed(1)
      } MB) | ` +
        `${fmt(median(times.apache), 3)} s (${(sizes.apache / 1e6).toFixed(1)} MB) | ` +
        `${fmt(median(times.apache) / median(times.netkit))}x | ${fmt(median(paired))}x |`,
    );
  }
  const mem = [];
  const one = await peakRss(netkit.pid, () => propfind(`${netkit.url}many/`, null));
  mem.push(
    `| ${FILES} | ${one.baseKiB >> 10} MiB | ${one.peakKiB >> 10} MiB | +${
      (one.peakKiB - one.baseKiB) >> 10
    } MiB | ${(one.result.bytes / 1e6).toFixed(1)} MB |`,
  );
  if (BIG > 0) {
    await makeFolder(`${dir}/more`, BIG);
    await propfind(`${netkit.url}more/`, null);
    const big = await peakRss(netkit.pid, () => propfind(`${netkit.url}more/`, null));
    mem.push(
      `| ${BIG} | ${big.baseKiB >> 10} MiB | ${big.peakKiB >> 10} MiB | +${
        (big.peakKiB - big.baseKiB) >> 10
      } MiB | ${(big.result.bytes / 1e6).toFixed(1)} MB |`,
    );
  }
  return [
    "PROPFIND Depth 1, medians of " + ROUNDS + " rounds (ratio above 1: netkit faster)",
    "",
    "| body | files | netkit | Apache mod_dav | ratio of medians | paired ratio |",
    "| --- | --- | --- | --- | --- | --- |",
    ...lines,
    "",
    "netkit's resident memory while answering allprop (sampled every 2 ms)",
    "",
    "| files | before | peak | growth | body |",
    "| --- | --- | --- | --- | --- |",
    ...mem,
  ].join("\n");
}

async function transferBench(base: string): Promise<string> {
  const dir = `${base}/xfer`;
  await Deno.mkdir(dir, { recursive: true });
  const src = `${base}/big.bin`;
  {
    using f = await Deno.open(src, { write: true, create: true });
    const chunk = crypto.getRandomValues(new Uint8Array(1 << 16));
    for (let i = 0; i < SIZE; i += chunk.length) await f.write(chunk);
  }
  await using dav = await startNetkit(dir, true);
  await using plain = await startNetkit(dir, false);
  const rcloneBin = which("rclone");
  const rconf = `${base}/rclone.conf`;
  await Deno.writeTextFile(rconf, "");
  const obscured = rcloneBin
    ? new TextDecoder().decode(
      (await new Deno.Command(rcloneBin, { args: ["obscure", "bench"], stdout: "piped" }).output())
        .stdout,
    ).trim()
    : "";
  const rclone = async (args: string[]) => {
    const t0 = performance.now();
    const out = await new Deno.Command("taskset", {
      // --ignore-times: transfer even when the destination looks the same.
      args: ["-c", "1", rcloneBin!, "--config", rconf, "-q", "--ignore-times", ...args],
      env: {
        RCLONE_CONFIG_NK_TYPE: "webdav",
        RCLONE_CONFIG_NK_URL: dav.url,
        RCLONE_CONFIG_NK_VENDOR: "other",
        RCLONE_CONFIG_NK_USER: "bench",
        RCLONE_CONFIG_NK_PASS: obscured,
      },
      stderr: "piped",
    }).output();
    if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
    return (performance.now() - t0) / 1000;
  };
  const cases: [string, () => Promise<number>][] = [
    [
      "PUT curl → plain",
      async () => (await curl(["-u", CREDS, "-T", src, `${plain.url}p.bin`])).seconds,
    ],
    [
      "PUT curl → webdav",
      async () => (await curl(["-u", CREDS, "-T", src, `${dav.url}d.bin`])).seconds,
    ],
    ["GET curl ← plain", async () => (await curl(["-u", CREDS, `${plain.url}p.bin`])).seconds],
    ["GET curl ← webdav", async () => (await curl(["-u", CREDS, `${dav.url}d.bin`])).seconds],
  ];
  if (rcloneBin) {
    cases.push(
      ["PUT rclone → webdav", () => rclone(["copyto", src, "nk:r.bin"])],
      ["GET rclone ← webdav", () => rclone(["copyto", "nk:r.bin", `${base}/back.bin`])],
    );
  }
  const times = new Map<string, number[]>(cases.map(([n]) => [n, []]));
  for (const [, run] of cases) await run(); // warm up
  for (let r = 0; r < TROUNDS; r++) {
    for (let i = 0; i < cases.length; i++) {
      const [name, run] = cases[(i + r) % cases.length];
      await new Deno.Command("sync").output();
      times.get(name)!.push(await run());
    }
  }
  const rate = (n: string) => SIZE / median(times.get(n)!) / 1e9;
  const rows = cases.map((
    [n],
  ) => [n, `${fmt(median(times.get(n)!), 3)} s`, `${fmt(rate(n))} GB/s`]);
  const paired = (a: string, b: string) => {
    const ta = times.get(a)!, tb = times.get(b)!;
    return median(ta.map((t, i) => tb[i] / t));
  };
  const ratio = (a: string, b: string) =>
    `${a} / ${b}: ${fmt(rate(a) / rate(b))}x of medians, ${fmt(paired(a, b))}x paired`;
  return [
    `GET and PUT of ${
      SIZE >> 20
    } MiB, medians of ${TROUNDS} rounds (rclone's figures include its start-up)`,
    "",
    table(["case", "time", "rate"], rows),
    "",
    ratio("PUT curl → webdav", "PUT curl → plain"),
    ratio("GET curl ← webdav", "GET curl ← plain"),
    ...(rcloneBin
      ? [
        ratio("PUT rclone → webdav", "PUT curl → plain"),
        ratio("GET rclone ← webdav", "GET curl ← plain"),
      ]
      : []),
  ].join("\n");
}

if (import.meta.main) {
  const base = await Deno.makeTempDir({ prefix: "netkit-bench-dav-" });
  await Deno.chmod(base, 0o755); // Apache's workers (www-data) reach the folder through it
  try {
    const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
    console.log(`# WebDAV benchmark, ${new Date().toISOString()}, load ${load}\n`);
    const only = (v.only ?? "").split(",");
    if (only.includes("propfind")) console.log(await propfindBench(base) + "\n");
    if (only.includes("transfers")) console.log(await transferBench(base));
  } finally {
    await new Deno.Command("rm", { args: ["-rf", base] }).output();
  }
}
