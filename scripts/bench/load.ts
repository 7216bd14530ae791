/**
 * The load generator: one process (pinned by the caller) running many
 * netkit clients over real TCP. Started by `bench_files.ts` with a JSON plan
 * as its only argument; prints one `RESULT {json}` line on stderr.
 *
 * - `ops`: `clients` FileClients connect, wait for `startAt`, then run a
 *   weighted mix of list/get/put for `warmupMs` (not counted, though
 *   failures are) and then `durationMs`: each client
 *   as fast as it is answered, or paced to a total `rate` of operations a
 *   second.
 * - `burst`: `count` raw connections all at once, each completing the
 *   HELLO/WELCOME handshake; then they are held idle until stdin closes.
 *
 * @module
 */

import { FileClient } from "../../client/client.ts";
import { isNetkitError } from "../../core/errors.ts";
import { FrameReader, FrameWriter } from "../../protocol/file/frame_stream.ts";
import { PROTOCOL_VERSION } from "../../protocol/file/messages.ts";
import { FramesClient } from "./frames_client.ts";

/** One kind of operation in a mix. */
export interface MixEntry {
  /** A label for the results, e.g. "get 64KiB". */
  label: string;
  op: "get" | "put" | "list";
  /** get: the server's file name. */
  name?: string;
  /** put: the local file to upload. */
  file?: string;
  /** Relative weight. */
  weight: number;
}

/** Plan of an `ops` run. */
export interface OpsPlan {
  kind: "ops";
  port: number;
  clients: number;
  /** Epoch ms when every client starts. */
  startAt: number;
  /** Load before the measured window (JIT, caches, connection buffers warm up), ms; not counted. */
  warmupMs: number;
  durationMs: number;
  mix: MixEntry[];
  /** A folder for downloads. */
  tmp: string;
  /** A tag that keeps upload names apart between processes. */
  tag: string;
  seed: number;
  /** "file": the library's FileClient; "frames": the lean FramesClient (no local files). */
  client: "file" | "frames";
  /** Open a new connection for every operation (as the iterative server needs). */
  reconnect: boolean;
  /**
   * Paced load: operations per second over all clients, each client on a
   * fixed schedule (staggered), latency counted from the scheduled start so
   * a slow answer is not hidden by the requests it delayed (coordinated
   * omission, as wrk2 corrects it). Absent: closed loop, as fast as answered.
   */
  rate?: number;
}

/** Per-label results of an `ops` run. */
export interface OpStats {
  /** Latencies of successful ops, ms. */
  lat: number[];
  bytes: number;
  fail: number;
}

/** What an `ops` run reports. */
export interface OpsResult {
  kind: "ops";
  /** Measured wall time, ms. */
  ms: number;
  byLabel: Record<string, OpStats>;
  /** Error codes seen, with counts. */
  errors: Record<string, number>;
  connectFailures: number;
}

/** Plan of a `burst` run. */
export interface BurstPlan {
  kind: "burst";
  port: number;
  count: number;
}

/** What a `burst` run reports. */
export interface BurstResult {
  kind: "burst";
  /** From the first connect to the last WELCOME, ms. */
  ms: number;
  /** Per connection: TCP connect time, ms (successful ones). */
  connectMs: number[];
  /** Per connection: connect to WELCOME, ms. */
  handshakeMs: number[];
  failures: number;
  errors: Record<string, number>;
}

/** What the load loop needs from a client. */
interface BenchClient {
  readonly closed: boolean;
  get(name: string, dest: string): Promise<number>;
  put(file: string, name: string): Promise<number>;
  list(): Promise<unknown>;
  quit(): Promise<void>;
  close(): void;
}

async function connectClient(kind: OpsPlan["client"], port: number): Promise<BenchClient> {
  const timeoutMs = 15_000;
  if (kind === "frames") {
    const c = await FramesClient.connect(port, timeoutMs);
    return {
      get: (n) => c.get(n),
      put: (f, n) => c.put(f, n),
      list: () => c.list(),
      quit: () => c.quit(),
      close: () => c.close(),
      get closed() {
        return c.closed;
      },
    };
  }
  const c = await FileClient.connect({ port, timeoutMs });
  return {
    get: async (n, dest) => (await c.download(n, dest, { overwrite: true })).size,
    put: async (f, n) => (await c.upload(f, n, { overwrite: true })).size,
    list: () => c.list(),
    quit: () => c.quit(),
    close: () => c.close(),
    get closed() {
      return c.closed;
    },
  };
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function codeOf(e: unknown): string {
  if (isNetkitError(e)) return e.code;
  return e instanceof Error ? e.name : String(e);
}

async function runOps(p: OpsPlan): Promise<OpsResult> {
  const byLabel: Record<string, OpStats> = {};
  for (const m of p.mix) byLabel[m.label] = { lat: [], bytes: 0, fail: 0 };
  const errors: Record<string, number> = {};
  const note = (e: unknown) => {
    const c = codeOf(e);
    errors[c] = (errors[c] ?? 0) + 1;
  };
  const total = p.mix.reduce((s, m) => s + m.weight, 0);
  const endAt = p.startAt + p.warmupMs + p.durationMs;
  let connectFailures = 0;
  const connect = async () => {
    try {
      return await connectClient(p.client, p.port);
    } catch (e) {
      connectFailures++;
      note(e);
      return null;
    }
  };
  // Connect everyone first, so the measured window holds only requests
  // (unless every operation opens its own connection).
  const clients = p.reconnect
    ? new Array<BenchClient | null>(p.clients).fill(null)
    : await Promise.all(Array.from({ length: p.clients }, connect));
  await new Promise((r) => setTimeout(r, Math.max(0, p.startAt - Date.now())));
  const t0 = performance.now();
  const measureFrom = t0 + p.warmupMs;
  // Paced: one client's operations are `every` ms apart, the clients evenly staggered.
  const every = p.rate ? (p.clients / p.rate) * 1000 : 0;
  const one = async (i: number) => {
    const rand = prng(p.seed * 1000 + i);
    let client = clients[i];
    const dest = `${p.tmp}/${p.tag}-c${i}.bin`;
    let due = t0 + (every * i) / p.clients;
    for (let n = 0; n < 10_000_000 && Date.now() < endAt; n++, due += every) {
      if (every) {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (Date.now() >= endAt) break;
      }
      if (!p.reconnect && (!client || client.closed)) {
        client = await connect();
        if (!client) continue;
      }
      let r = rand() * total;
      const m = p.mix.find((x) => (r -= x.weight) < 0) ?? p.mix[p.mix.length - 1];
      const s = byLabel[m.label];
      const started = every ? due : performance.now();
      try {
        let bytes = 0;
        if (p.reconnect && !client) client = await connectClient(p.client, p.port);
        if (m.op === "get") {
          bytes = await client!.get(m.name!, dest);
        } else if (m.op === "put") {
          bytes = await client!.put(m.file!, `up-${p.tag}-c${i}.bin`);
        } else {
          await client!.list();
        }
        if (p.reconnect) {
          await client!.quit();
          client = null;
        }
        if (started >= measureFrom) {
          s.lat.push(Math.round((performance.now() - started) * 100) / 100);
          s.bytes += bytes;
        }
      } catch (e) {
        s.fail++;
        note(e);
        if (p.reconnect) {
          client?.close();
          client = null;
        }
      }
    }
    await client?.quit();
  };
  await Promise.all(clients.map((_, i) => one(i)));
  const ms = performance.now() - measureFrom;
  return { kind: "ops", ms, byLabel, errors, connectFailures };
}

async function handshake(port: number): Promise<[Deno.Conn, number, number]> {
  const t0 = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const t1 = performance.now();
  try {
    await new FrameWriter(conn).send({
      type: "HELLO",
      version: PROTOCOL_VERSION,
      hashes: ["xxh3-128"],
      token: new Uint8Array(0),
      client: "netkit-bench",
    });
    const m = await new FrameReader(conn).next();
    if (m?.type !== "WELCOME") throw new Error(`expected WELCOME, got ${m?.type ?? "EOF"}`);
    return [conn, t1 - t0, performance.now() - t0];
  } catch (e) {
    conn.close();
    throw e;
  }
}

async function runBurst(p: BurstPlan): Promise<[BurstResult, Deno.Conn[]]> {
  const conns: Deno.Conn[] = [];
  const connectMs: number[] = [];
  const handshakeMs: number[] = [];
  const errors: Record<string, number> = {};
  let failures = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: p.count }, async () => {
    try {
      const [c, a, b] = await handshake(p.port);
      conns.push(c);
      connectMs.push(Math.round(a * 100) / 100);
      handshakeMs.push(Math.round(b * 100) / 100);
    } catch (e) {
      failures++;
      const c = codeOf(e);
      errors[c] = (errors[c] ?? 0) + 1;
    }
  }));
  const ms = performance.now() - t0;
  return [{ kind: "burst", ms, connectMs, handshakeMs, failures, errors }, conns];
}

if (import.meta.main) {
  const plan = JSON.parse(Deno.args[0]) as OpsPlan | BurstPlan;
  // A hard stop, whatever happens: the plan's own length plus a minute.
  const limit = plan.kind === "ops"
    ? plan.startAt - Date.now() + plan.durationMs + 60_000
    : 600_000;
  const killer = setTimeout(() => Deno.exit(3), limit);
  if (plan.kind === "ops") {
    const r = await runOps(plan);
    console.error(`RESULT ${JSON.stringify(r)}`);
  } else {
    const [r, conns] = await runBurst(plan);
    console.error(`RESULT ${JSON.stringify(r)}`);
    // Hold the connections idle until the orchestrator closes our stdin.
    for await (const _ of Deno.stdin.readable) { /* wait for EOF */ }
    for (const c of conns) c.close();
  }
  clearTimeout(killer);
}
