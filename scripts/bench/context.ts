/**
 * What every file-service scenario shares: folders, core pinning, progress
 * output, and CPU-time sampling of the processes under test.
 *
 * @module
 */

/** Settings and places shared by the scenarios of one benchmark run. */
export interface BenchContext {
  /** A private temp folder, removed at the end. */
  dir: string;
  /** The library the servers serve (inside `dir`). */
  root: string;
  /** Where clients save downloads (inside `dir`). */
  out: string;
  /** taskset CPU list of the servers. */
  serverCpus: string;
  /** taskset CPU list of the clients and load generators. */
  clientCpus: string;
  /** When set, netkit processes write V8 CPU profiles here. */
  cpuProfDir?: string;
  /** Progress lines (stderr). */
  log(line: string): void;
}

const TICKS_PER_SECOND = 100;

/** User+system CPU time a process (all its threads) has used so far, ms. */
export async function cpuMs(pid: number): Promise<number> {
  const text = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the command name, which sits in parentheses and may hold spaces.
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * (1000 / TICKS_PER_SECOND);
}

/** Makes a file of `size` random bytes (through `head -c`, so it is quick and never held in memory). */
export async function randomFile(path: string, size: number): Promise<void> {
  const out = await new Deno.Command("bash", {
    args: ["-c", 'head -c "$0" /dev/urandom > "$1"', String(size), path],
  }).output();
  if (!out.success) throw new Error(`cannot make ${path}`);
}

/** True when two files have the same bytes (`cmp -s`). */
export async function sameBytes(a: string, b: string): Promise<boolean> {
  return (await new Deno.Command("cmp", { args: ["-s", a, b] }).output()).success;
}

/** Removes a file, ignoring a missing one. */
export async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch { /* gone already */ }
}

/** The share of time some task waited for a CPU over the last 10 s (Linux PSI), %; NaN when unknown. */
export async function cpuPressure(): Promise<number> {
  const text = await Deno.readTextFile("/proc/pressure/cpu").catch(() => "");
  const m = text.match(/^some avg10=([\d.]+)/m);
  return m ? Number(m[1]) : NaN;
}

/**
 * Waits (bounded by `maxWaitMs`) until CPU pressure from other programs is
 * below `threshold` %, so a scenario starts on a machine as calm as it gets.
 * Resolves to the pressure seen at the start.
 */
export async function waitForCalm(threshold: number, maxWaitMs: number): Promise<number> {
  const deadline = performance.now() + maxWaitMs;
  let p = await cpuPressure();
  while (!(p < threshold) && performance.now() < deadline && Number.isFinite(p)) {
    await new Promise((r) => setTimeout(r, 2000));
    p = await cpuPressure();
  }
  return p;
}
