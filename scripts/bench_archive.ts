/**
 * Folder archives side by side: `netkit http` of several checkouts (say the
 * commit before a change and this one) serving one folder of mixed files as
 * `?archive=zip` and `?archive=tar.gz`, downloaded by curl. Per download:
 * throughput (folder bytes per second, so zip and tar.gz compare), the
 * server's CPU time, and its peak RSS (VmHWM of a server started afresh for
 * that download). Then the slow-client case: N downloads at once, each
 * limited to a low rate for a few seconds, and the server's peak RSS, which
 * shows what each open archive holds in memory. Each archive is checked
 * once per checkout (`unzip -tq`, `tar -tz` and the member count). Servers
 * run on CPU 0, curl on CPU 1; checkouts take turns, the first to go
 * alternating by round. Prints Markdown tables: medians and ratios to the
 * first checkout, paired per round.
 *
 * The folder (default 2 GiB) is made once and kept for later runs: two
 * fifths in small text files (1 to 64 KiB, in 64 folders), three fifths in
 * eight large binary files (random bytes, as media or archives are).
 *
 * Usage:
 *   git worktree add --detach /tmp/nk-base <commit>
 *   deno run -A scripts/bench_archive.ts --tree before=/tmp/nk-base --tree after=. \
 *     [--rounds 5] [--size 2GiB] [--dir /tmp/netkit-bench-archive] \
 *     [--slow 8] [--slow-rate 2M] [--slow-seconds 8] [--only zip,tar.gz,slow] \
 *     [--zip-only LABEL,...]   (checkouts that differ in zip only: not run for tar.gz)
 *
 * Needs: curl, taskset, unzip, tar (Debian packages curl, util-linux, unzip, tar).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { parseSize } from "../core/cli/cli_args.ts";
import { formatSize } from "../core/text/format.ts";
import { cpuMs, randomFile } from "./bench/context.ts";
import { freePort, runPinned, type Started, startPinned, stop } from "./bench/proc.ts";
import { DENO_RUN, waitForListen } from "./bench/refs.ts";
import { inTurns, median, table } from "./bench/stats.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    tree: { type: "string", multiple: true, default: [] },
    rounds: { type: "string", default: "5" },
    size: { type: "string", default: "2GiB" },
    dir: { type: "string" },
    slow: { type: "string", default: "8" },
    "slow-rate": { type: "string", default: "2M" },
    "slow-seconds": { type: "string", default: "8" },
    only: { type: "string", default: "zip,tar.gz,slow" },
    "zip-only": { type: "string", default: "" },
  },
});

/** One checkout of netkit to serve from. */
interface Tree {
  label: string;
  dir: string;
}

const allTrees: Tree[] = opt.tree.map((t) => {
  const eq = t.indexOf("=");
  if (eq <= 0) throw new Error(`--tree wants LABEL=DIR, got '${t}'`);
  return { label: t.slice(0, eq), dir: resolve(t.slice(eq + 1)) };
});
if (allTrees.length === 0) throw new Error("name at least one --tree LABEL=DIR");
const zipOnly = new Set(opt["zip-only"].split(",").filter(Boolean));
/** The checkouts measured for a format. */
const treesFor = (format: string) =>
  allTrees.filter((t) => format === "zip" || !zipOnly.has(t.label));
let trees = allTrees;
const ROUNDS = Number(opt.rounds);
const SIZE = parseSize(opt.size, "--size");
const FOLDER = opt.dir ?? `/tmp/netkit-bench-archive-${opt.size}`;
const ONLY = new Set(opt.only.split(","));
const FORMATS = (["zip", "tar.gz"] as const).filter((f) => ONLY.has(f));
const SERVER_CPU = "0";
const CLIENT_CPU = "1";
const MiB = 2 ** 20;

/** Builds the mixed folder unless a previous run left the same one. */
async function makeFolder(root: string, size: number): Promise<{ files: number; bytes: number }> {
  const marker = `${root}/.spec.json`;
  try {
    const spec = JSON.parse(await Deno.readTextFile(marker));
    if (spec.size === size) return spec;
  } catch { /* none yet */ }
  await Deno.remove(root, { recursive: true }).catch(() => {});
  await Deno.mkdir(root, { recursive: true });
  // Text: words from a small vocabulary, so it compresses as source or logs do.
  const words = Array.from({ length: 4000 }, (_, i) => (i * 2654435761 >>> 0).toString(36));
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const corpus = new TextEncoder().encode(
    Array.from({ length: 300_000 }, () => words[Math.floor(rand() * words.length)]).join(" "),
  );
  let files = 0;
  let bytes = 0;
  for (let d = 0; d < 64; d++) await Deno.mkdir(`${root}/text/d${d}`, { recursive: true });
  while (bytes < size * 0.4) {
    const n = 1024 + Math.floor(rand() * 63 * 1024);
    const at = Math.floor(rand() * (corpus.length - n));
    await Deno.writeFile(`${root}/text/d${files % 64}/f${files}.txt`, corpus.subarray(at, at + n));
    files++;
    bytes += n;
  }
  await Deno.mkdir(`${root}/media`);
  const big = Math.floor((size - bytes) / 8);
  for (let i = 0; i < 8; i++) {
    await randomFile(`${root}/media/big${i}.bin`, big);
    files++;
    bytes += big;
  }
  const spec = { size, files, bytes };
  await Deno.writeTextFile(marker, JSON.stringify(spec));
  return spec;
}

/** VmHWM and VmRSS of a process, KiB. */
async function memory(pid: number): Promise<{ peak: number; now: number }> {
  const text = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1]);
  return { peak: kib("VmHWM"), now: kib("VmRSS") };
}

async function startServer(t: Tree): Promise<{ proc: Started; port: number }> {
  const port = freePort();
  const proc = startPinned({
    cpus: SERVER_CPU,
    cmd: Deno.execPath(),
    args: [...DENO_RUN, `${t.dir}/main.ts`, "http", "--root", FOLDER, "--port", String(port)]
      .concat("--quiet"),
  });
  await waitForListen(port);
  return { proc, port };
}

/** Runs `fn` with a fresh server of `t`, stopped afterwards whatever happens. */
async function withServer<T>(t: Tree, fn: (pid: number, url: string) => Promise<T>): Promise<T> {
  const s = await startServer(t);
  try {
    return await fn(s.proc.pid, `http://127.0.0.1:${s.port}/`);
  } finally {
    await stop(s.proc);
  }
}

/** Checks one archive of each format from `t`: every member there and readable. */
async function verify(t: Tree, expectFiles: number): Promise<void> {
  await withServer(t, async (_pid, url) => {
    const tmp = await Deno.makeTempFile({ prefix: "netkit-bench-archive-", suffix: ".zip" });
    try {
      for (const f of FORMATS.filter((f) => treesFor(f).includes(t))) {
        const check = f === "zip"
          ? `curl -sf -o "$1" "$0" && unzip -tq "$1" >&2 && unzip -Z1 "$1" | grep -vc '/$'`
          : `curl -sf "$0" | tar -tzf - | grep -vc '/$'`;
        const run = await runPinned({
          cpus: CLIENT_CPU,
          cmd: "bash",
          args: ["-c", `set -o pipefail; ${check}`, `${url}?archive=${f}`, tmp],
        }, 600_000);
        const count = Number(run.stdout.trim());
        if (run.code !== 0 || count !== expectFiles) {
          throw new Error(`${t.label} ${f}: ${count} of ${expectFiles} files; ${run.stderr}`);
        }
      }
    } finally {
      await Deno.remove(tmp).catch(() => {});
    }
  });
}

/** One download: folder MiB/s, server CPU seconds, server peak and idle RSS (MiB). */
async function download(t: Tree, format: string, folderBytes: number) {
  return await withServer(t, async (pid, url) => {
    const idle = (await memory(pid)).now;
    const c0 = await cpuMs(pid);
    const run = await runPinned({
      cpus: CLIENT_CPU,
      cmd: "curl",
      args: [
        "-sf",
        "-o",
        "/dev/null",
        "-w",
        "%{size_download} %{time_total}",
        `${url}?archive=${format}`,
      ],
    }, 900_000);
    if (run.code !== 0) throw new Error(`${t.label} ${format}: curl exit ${run.code}`);
    const [size, seconds] = run.stdout.trim().split(" ").map(Number);
    const mem = await memory(pid);
    return {
      rate: folderBytes / MiB / seconds,
      cpu: (await cpuMs(pid) - c0) / 1000,
      peak: mem.peak / 1024,
      idle: idle / 1024,
      size,
    };
  });
}

/** `n` slow downloads at once for a few seconds: the server's peak RSS, and above idle, MiB. */
async function slowClients(t: Tree, format: string, n: number) {
  return await withServer(t, async (pid, url) => {
    const idle = (await memory(pid)).now;
    const runs = Array.from({ length: n }, () =>
      runPinned({
        cpus: CLIENT_CPU,
        cmd: "curl",
        args: [
          "-s",
          "-o",
          "/dev/null",
          "--limit-rate",
          opt["slow-rate"],
          "--max-time",
          opt["slow-seconds"],
          `${url}?archive=${format}`,
        ],
      }));
    await Promise.all(runs);
    const { peak } = await memory(pid);
    return { peak: peak / 1024, extra: (peak - idle) / 1024 };
  });
}

/** A table row per tree: the median, its ratio to the first tree paired by round, the rounds. */
function rows(xs: number[][], digits: number): string[][] {
  return trees.map((t, i) => [
    t.label,
    median(xs[i]).toFixed(digits),
    i === 0 ? "1" : median(xs[i].map((x, r) => x / xs[0][r])).toFixed(3),
    xs[i].map((x) => x.toFixed(digits)).join(" "),
  ]);
}

console.log(
  `# Folder archives, ${new Date().toISOString()}, ${ROUNDS} rounds, load ${
    Deno.loadavg().map((x) => x.toFixed(2)).join(" ")
  }`,
);
const spec = await makeFolder(FOLDER, SIZE);
console.log(
  `\nFolder: ${FOLDER}: ${spec.files} files, ${formatSize(spec.bytes)} ` +
    `(two fifths text of 1-64 KiB, eight random binary files)`,
);
for (const t of allTrees) {
  await verify(t, spec.files);
  console.error(`${t.label}: the archives check out`);
}
for (const f of FORMATS) {
  trees = treesFor(f);
  const rate = trees.map(() => [] as number[]);
  const cpu = trees.map(() => [] as number[]);
  const peak = trees.map(() => [] as number[]);
  const idle = trees.map(() => [] as number[]);
  let size = 0;
  for (let r = 0; r < ROUNDS; r++) {
    await inTurns(trees, r, async (t, i) => {
      const d = await download(t, f, spec.bytes);
      rate[i].push(d.rate);
      cpu[i].push(d.cpu);
      peak[i].push(d.peak);
      idle[i].push(d.idle);
      size = d.size;
    });
    console.error(`${f} round ${r + 1}/${ROUNDS}: ${JSON.stringify({ rate, peak })}`);
  }
  console.log(`\n### ?archive=${f} (${formatSize(size)} on the wire)\n`);
  const head = (what: string) => ["checkout", what, "ratio to first (paired)", "rounds"];
  console.log(table(head("folder MiB/s"), rows(rate, 1)));
  console.log("\n" + table(head("server CPU s"), rows(cpu, 2)));
  console.log("\n" + table(head("server peak RSS MiB"), rows(peak, 1)));
  console.log("\n" + table(head("server RSS before, MiB"), rows(idle, 1)));
}
if (ONLY.has("slow")) {
  const n = Number(opt.slow);
  for (const f of ["zip", "tar.gz"]) {
    trees = treesFor(f);
    const peak = trees.map(() => [] as number[]);
    const extra = trees.map(() => [] as number[]);
    for (let r = 0; r < ROUNDS; r++) {
      await inTurns(trees, r, async (t, i) => {
        const m = await slowClients(t, f, n);
        peak[i].push(m.peak);
        extra[i].push(m.extra);
      });
    }
    console.log(
      `\n### ${n} slow ?archive=${f} downloads at once (${opt["slow-rate"]}B/s each, ` +
        `${opt["slow-seconds"]} s)\n`,
    );
    const head = (what: string) => ["checkout", what, "ratio to first (paired)", "rounds"];
    console.log(table(head("server peak RSS MiB"), rows(peak, 1)));
    console.log("\n" + table(head("peak above idle, MiB"), rows(extra, 1)));
  }
}
