/**
 * Reads V8 `.cpuprofile` files (from `deno run --cpu-prof`) and prints where
 * the time went: self time per function and per source file, as shares of
 * the busy time (idle samples are left out), so the shares say where the
 * JS thread spends its work. Work that Deno does on other threads (the
 * blocking pool of async file operations, Worker isolates' own profiles)
 * does not show here.
 *
 * Usage: deno run -R scripts/bench/cpuprof.ts FILE.cpuprofile... [--top N]
 *
 * @module
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

/** The parts of a V8 CPU profile this reader uses. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one entry, µs, and its share of the total. */
export interface SelfTime {
  key: string;
  us: number;
  share: number;
}

function shortUrl(url: string): string {
  if (!url) return "(native)";
  const m = url.match(/(?:wt-[^/]+|netkit)\/(.*)$/) ?? url.match(/([^/]+\/[^/]+)$/);
  return m ? m[1] : url;
}

/** Self time per function (`name url:line`) and per file, sorted, biggest first. */
export function selfTimes(p: CpuProfile): { byFunction: SelfTime[]; byFile: SelfTime[] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i]);
    const dt = p.timeDeltas[i] ?? 0;
    if (!node || dt < 0) continue;
    const f = node.callFrame;
    if (f.functionName === "(idle)") continue;
    const where = shortUrl(f.url);
    const key = `${f.functionName || "(anonymous)"} ${where}${f.url ? `:${f.lineNumber + 1}` : ""}`;
    fn.set(key, (fn.get(key) ?? 0) + dt);
    file.set(where, (file.get(where) ?? 0) + dt);
    total += dt;
  }
  const sorted = (m: Map<string, number>) =>
    [...m].map(([key, us]) => ({ key, us, share: us / Math.max(1, total) }))
      .sort((a, b) => b.us - a.us);
  return { byFunction: sorted(fn), byFile: sorted(file) };
}

if (import.meta.main) {
  const args = [...Deno.args];
  const t = args.indexOf("--top");
  const top = t >= 0 ? Number(args.splice(t, 2)[1]) : 25;
  for (const path of args) {
    const p = JSON.parse(await Deno.readTextFile(path)) as CpuProfile;
    const { byFunction, byFile } = selfTimes(p);
    const total = byFunction.reduce((s, x) => s + x.us, 0);
    console.log(`\n${path}: ${(total / 1e6).toFixed(2)} s busy`);
    console.log("  self time by function:");
    for (const x of byFunction.slice(0, top)) {
      console.log(`  ${(x.share * 100).toFixed(1).padStart(5)}%  ${x.key}`);
    }
    console.log("  self time by file:");
    for (const x of byFile.slice(0, Math.min(top, 12))) {
      console.log(`  ${(x.share * 100).toFixed(1).padStart(5)}%  ${x.key}`);
    }
  }
}
