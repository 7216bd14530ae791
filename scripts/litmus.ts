/**
 * litmus, the WebDAV conformance suite (Debian `litmus`), run against
 * netkit, Apache mod_dav and `rclone serve webdav` the same way in one run:
 * the five suites `basic copymove props locks http`, each peer on a fresh
 * folder, and one summary line per peer.
 *
 *     deno run -A --unstable-net scripts/litmus.ts
 *
 * `runLitmus` and `parseLitmus` are also what the test suite uses.
 *
 * @module
 */

import { startHttpServer } from "../http/server.ts";
import { type DavPeer, startApache, startRclone, which } from "./dav_peers.ts";

/** One suite's result. */
export interface LitmusSuite {
  name: string;
  run: number;
  passed: number;
  failed: number;
}

/** A whole litmus run. */
export interface LitmusResult {
  suites: LitmusSuite[];
  /** Every `WARNING:` line. */
  warnings: string[];
  /** Every test that failed (`name: reason`). */
  failures: string[];
  /** The raw output. */
  output: string;
}

/** The five suites, in litmus's order. */
export const SUITES = ["basic", "copymove", "props", "locks", "http"];

/** Reads litmus's output. */
export function parseLitmus(output: string): LitmusResult {
  const suites: LitmusSuite[] = [];
  const re = /<- summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed/g;
  for (const m of output.matchAll(re)) {
    suites.push({ name: m[1], run: Number(m[2]), passed: Number(m[3]), failed: Number(m[4]) });
  }
  const warnings = output.split("\n").filter((l) => l.includes("WARNING:")).map((l) =>
    l.replace(/^.*WARNING:/, "WARNING:").trim()
  );
  const failures = output.split("\n").filter((l) => /\bFAIL\b/.test(l)).map((l) =>
    l.replace(/\.{3,}/g, " ").replace(/\s+/g, " ").trim()
  );
  return { suites, warnings, failures, output };
}

/** Runs litmus against `url` (a collection it may write into) in a temp folder. */
export async function runLitmus(url: string, credentials: string[] = []): Promise<LitmusResult> {
  const cwd = await Deno.makeTempDir({ prefix: "netkit-litmus-" });
  try {
    const out = await new Deno.Command("litmus", {
      args: ["-k", url, ...credentials],
      cwd,
      env: { TESTS: SUITES.join(" ") },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return parseLitmus(dec.decode(out.stdout) + dec.decode(out.stderr));
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
}

/** The one-line summary of a run. */
export function summaryLine(who: string, r: LitmusResult): string {
  const run = r.suites.reduce((a, s) => a + s.run, 0);
  const passed = r.suites.reduce((a, s) => a + s.passed, 0);
  const failed = r.suites.reduce((a, s) => a + s.failed, 0);
  return `${who}: ${passed} of ${run} passed, ${failed} failed, ${r.warnings.length} warnings` +
    ` (${r.suites.map((s) => `${s.name} ${s.passed}/${s.run}`).join(", ")})`;
}

async function peerRun(start: (root: string) => Promise<DavPeer>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "netkit-litmus-root-" });
  try {
    await using peer = await start(root);
    const r = await runLitmus(peer.url);
    return [
      summaryLine(peer.name, r),
      ...r.warnings.map((w) => `  ${w}`),
      ...r.failures.map((f) => `  ${f}`),
    ]
      .join("\n");
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  if (which("litmus") === null) {
    console.error("litmus is not installed (apt-get install litmus)");
    Deno.exit(1);
  }
  const root = await Deno.makeTempDir({ prefix: "netkit-litmus-root-" });
  {
    await using server = await startHttpServer({
      root,
      hostname: "127.0.0.1",
      port: 0,
      quiet: true,
      webdav: true,
      upload: true,
      mkdir: true,
      delete: true,
      auth: "litmus:litmus",
    });
    const r = await runLitmus(server.url, ["litmus", "litmus"]);
    console.log(summaryLine("netkit", r));
    for (const w of [...r.warnings, ...r.failures]) console.log(`  ${w}`);
  }
  await Deno.remove(root, { recursive: true }).catch(() => {});
  for (const start of [startApache, startRclone]) {
    console.log(await peerRun(start).catch((e) => `${start.name}: skipped (${e.message})`));
  }
}
