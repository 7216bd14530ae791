/**
 * `deno task compile`: builds `dist/netkit`, one executable with every
 * subcommand, every Worker module, and netkit's permissions and unstable
 * flags baked in. `deno compile` needs its `denort` runtime: it downloads
 * one, or takes the file named by `DENORT_BIN`.
 *
 * Usage: deno task compile [--output PATH] [--target TRIPLE]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { WORKER_MODULES } from "../server/worker_modules.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** The permissions the binary runs with: network, files, env (tokens) and hostname. */
export const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=hostname",
];

/** The unstable features netkit uses: reusePort and UDP, Worker permissions. */
export const UNSTABLE = ["--unstable-net", "--unstable-worker-options"];

/** The `deno compile` arguments that build netkit into `output`. */
export function compileArgs(output: string, target?: string): string[] {
  return [
    "compile",
    "--quiet",
    ...UNSTABLE,
    ...PERMISSIONS,
    ...WORKER_MODULES.flatMap((m) => ["--include", `${ROOT}${m}`]),
    ...(target ? ["--target", target] : []),
    "--output",
    output,
    `${ROOT}main.ts`,
  ];
}

/** Runs `deno compile`; resolves to its exit status and error output. */
export async function compile(
  output: string,
  options: { target?: string; denortBin?: string } = {},
): Promise<{ success: boolean; stderr: string }> {
  const env: Record<string, string> = {};
  if (options.denortBin) env.DENORT_BIN = options.denortBin;
  const out = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(output, options.target),
    env,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  return { success: out.success, stderr: new TextDecoder().decode(out.stderr) };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { output: { type: "string" }, target: { type: "string" } },
    strict: true,
  });
  const output = values.output ?? `${ROOT}dist/netkit`;
  const r = await compile(output, { target: values.target });
  if (!r.success) {
    const offline = /dns error|lookup address|download/i.test(r.stderr);
    console.error(
      offline
        ? "compile: deno compile could not download its denort runtime; " +
          "set DENORT_BIN to a denort binary for this platform"
        : `compile: deno compile failed:\n${r.stderr}`,
    );
    Deno.exit(1);
  }
  console.log(`compile: built ${output}`);
}
