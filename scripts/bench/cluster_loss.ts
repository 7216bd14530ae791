/**
 * What clients of a cluster see: how long a create-only upload through one
 * host takes to publish and to be served by another, and how long requests
 * wait while one host is lost (its netkit processes killed, or the whole
 * host cut off the network), through the balancers.
 *
 * @module
 */

import type { Cluster } from "../cluster/cluster.ts";
import { Bytes, connectFiles, httpGet, httpPut, randomBytes } from "../../tests/cluster_helpers.ts";
import type { TempDir } from "../../tests/temp_dir.ts";
import { fmt, median, percentile, table } from "./stats.ts";

/** Latencies of the create-only publish scenario, ms. */
export interface PublishResult {
  /** Upload through host 1 until PUT_OK, on the volume. */
  clusterPut: number[];
  /** The same upload to a server on the local disk, in turns with the above. */
  localPut: number[];
  /** From PUT_OK through host 1 until host 2 serves the file. */
  visibleOnB: number[];
  /** GETs through host 2 that found nothing yet. */
  misses: number;
}

/**
 * `reps` create-only uploads of `size` bytes through host 1 (and to a
 * local-disk server at `localPort`, in turns), each then fetched through
 * host 2 until it is there.
 */
export async function publishAcross(
  cluster: Cluster,
  local: TempDir,
  localPort: number,
  o: { reps: number; size: number },
): Promise<PublishResult> {
  const [A, B] = cluster.hosts;
  const token = cluster.token;
  await using a = new Bytes(
    await connectFiles({ hostname: A.address, port: A.filesPort }, token),
    local,
  );
  await using b = new Bytes(
    await connectFiles({ hostname: B.address, port: B.filesPort }, token),
    local,
  );
  await using l = new Bytes(
    await connectFiles({ hostname: "127.0.0.1", port: localPort }, ""),
    local,
  );
  const out: PublishResult = { clusterPut: [], localPut: [], visibleOnB: [], misses: 0 };
  for (let r = 0; r < o.reps; r++) {
    const data = randomBytes(o.size);
    const name = `publish-${crypto.randomUUID()}.bin`;
    let t = performance.now();
    await l.put(name, data);
    out.localPut.push(performance.now() - t);
    t = performance.now();
    await a.put(name, data);
    const done = performance.now();
    out.clusterPut.push(done - t);
    for (let tries = 0;; tries++) {
      try {
        await b.get(name);
        break;
      } catch (e) {
        if (tries >= 5000) throw e;
        out.misses++;
      }
    }
    out.visibleOnB.push(performance.now() - done);
  }
  return out;
}

/** One request of a load loop: when it started (ms after the loop began), how long, and whether it worked. */
interface Sample {
  at: number;
  ms: number;
  ok: boolean;
}

/** How one kind of request fared around a host loss. */
export interface LossResult {
  loop: string;
  before: Sample[];
  during: Sample[];
}

/**
 * Requests through the balancers, without pause, while host 2 is lost:
 * `kill` SIGKILLs its netkit processes (the host and its brick stay),
 * `cut` takes its network away (a pulled cable: nothing answers, nothing
 * refuses). The loss lasts `windowMs`; then the host comes back.
 */
export async function hostLoss(
  cluster: Cluster,
  local: TempDir,
  how: "kill" | "cut",
  windowMs: number,
): Promise<LossResult[]> {
  const token = cluster.token;
  const lb = cluster.balancers;
  const lost = 2;
  const fixed = randomBytes(64 << 10);
  const nginx = `http://127.0.0.1:${lb.nginxHttp}`;
  if (await httpPut(`${nginx}/loss.bin`, fixed, token) !== 201) throw new Error("cannot prepare");
  const files = { hostname: "127.0.0.1", port: lb.haproxyFiles };
  const loops: Array<[string, () => Promise<void>]> = [
    ["HTTP GET 64 KiB via nginx", async () => {
      const r = await httpGet(`${nginx}/loss.bin`);
      if (r.status !== 200 || r.body.length !== fixed.length) throw new Error(`HTTP ${r.status}`);
    }],
    ["HTTP PUT 64 KiB via nginx", async () => {
      const s = await httpPut(`${nginx}/loss-${crypto.randomUUID()}.bin`, fixed, token);
      if (s !== 201) throw new Error(`HTTP ${s}`);
    }],
    ["file GET 64 KiB via haproxy", async () => {
      await using c = new Bytes(await connectFiles(files, token), local);
      await c.get("loss.bin");
    }],
    ["file PUT 64 KiB via haproxy", async () => {
      await using c = new Bytes(await connectFiles(files, token), local);
      await c.put(`loss-${crypto.randomUUID()}.bin`, fixed);
    }],
  ];
  const t0 = performance.now();
  let lostAt = Infinity;
  let running = true;
  const samples = loops.map(() => [] as Sample[]);
  const done = loops.map(async ([, once], i) => {
    for (let n = 0; running && n < 100_000; n++) {
      const at = performance.now() - t0;
      let ok = true;
      try {
        await once();
      } catch {
        ok = false;
      }
      samples[i].push({ at, ms: performance.now() - t0 - at, ok });
    }
  });
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    await pause(3000);
    lostAt = performance.now() - t0;
    if (how === "cut") await cluster.cable(lost, false);
    else {await Promise.all([
        cluster.stop("files", lost, "SIGKILL"),
        cluster.stop("http", lost, "SIGKILL"),
      ]);}
    await pause(windowMs);
  } finally {
    running = false;
    await Promise.all(done);
    if (how === "cut") await cluster.cable(lost, true);
    else await Promise.all([cluster.start("files", lost), cluster.start("http", lost)]);
    await cluster.undrain(lost); // waits until haproxy's checks pass again
  }
  // A request still in flight when the host went counts as after the loss: its wait is the point.
  return loops.map(([loop], i) => ({
    loop,
    before: samples[i].filter((s) => s.at + s.ms < lostAt),
    during: samples[i].filter((s) => s.at + s.ms >= lostAt),
  }));
}

/** A table of {@linkcode hostLoss} results. */
export function lossTable(results: LossResult[]): string {
  return table(
    [
      "requests",
      "before: median ms",
      "after the loss (or in flight): requests",
      "failed",
      "median ms",
      "p99 ms",
      "longest wait, s",
      "over 1 s",
    ],
    results.map((r) => {
      const ms = r.during.map((s) => s.ms);
      return [
        r.loop,
        fmt(median(r.before.map((s) => s.ms)), 1),
        `${r.during.length}`,
        `${r.during.filter((s) => !s.ok).length}`,
        fmt(median(ms), 1),
        fmt(percentile(ms, 99), 0),
        fmt(Math.max(...ms) / 1000, 1),
        `${ms.filter((x) => x > 1000).length}`,
      ];
    }),
  );
}

/** A table of {@linkcode publishAcross} results. */
export function publishTable(r: PublishResult, size: number): string {
  const row = (what: string, xs: number[]) => [
    what,
    fmt(median(xs), 1),
    fmt(percentile(xs, 90), 1),
    fmt(Math.max(...xs), 1),
  ];
  return table(["create-only upload of " + size + " bytes", "median ms", "p90 ms", "max ms"], [
    row("to a server on the local disk", r.localPut),
    row("through host 1, on the volume", r.clusterPut),
    row("then until host 2 serves it", r.visibleOnB),
  ]) + `\n\nGETs through host 2 that found nothing yet: ${r.misses}.`;
}
