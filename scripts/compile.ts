/**
 * `deno task compile`: builds netkit into one executable with every
 * subcommand, every Worker module, and netkit's permissions and unstable
 * flags baked in. `deno compile` needs its `denort` runtime for each target:
 * it downloads one, or takes the file named by `DENORT_BIN`.
 *
 * Usage:
 *   deno task compile                  the host's binary: dist/netkit[.exe]
 *   deno task compile --all            every target: dist/netkit-<target>[.exe]
 *   deno task compile --target T ...   those targets (repeatable)
 *   deno task compile --output PATH    one build (host or one --target) to PATH
 *
 * Everything the binary needs must be in the module graph: static imports
 * are embedded on their own, Worker entry modules through `--include` (from
 * `WORKER_MODULES`), and assets such as HTML pages must be TS modules that
 * export strings or bytes, never files read at run time.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { WORKER_MODULES } from "./worker_modules.ts";

/** The project root as a platform path (with its trailing separator). */
const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Every target `deno compile --target` supports, in release order. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** One of {@link TARGETS}. */
export type Target = typeof TARGETS[number];

/** True when `s` names a supported target. */
export function isTarget(s: string): s is Target {
  return (TARGETS as readonly string[]).includes(s);
}

/**
 * The permissions the binary runs with, the narrowest that let netkit work:
 * network (servers and clients on any address the user names), read and
 * write (roots and local files the user names), the two environment
 * variables it reads, and the host name (temp-file names of uploads).
 * No `--allow-run`, no `--allow-ffi`, no other `--allow-sys`.
 */
export const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env=NETKIT_TOKEN,NETKIT_PASSWORD,NO_COLOR",
  "--allow-sys=hostname",
] as const;

/** The unstable features netkit uses: reusePort and UDP, Worker permissions. */
export const UNSTABLE = ["--unstable-net", "--unstable-worker-options"] as const;

/**
 * V8 settings baked into the binary: the young generation stays at 1 MiB
 * semi-spaces, where V8 would let it grow to 16 MiB each. After a burst of
 * thousands of connections, whose sessions all outlive a few scavenges, the
 * grown nursery stayed resident though nearly empty: 40 MiB or more, about
 * 4 KiB per connection at 10,000. Short-lived garbage, what a nursery is
 * for, is collected as before, in smaller rounds.
 */
export const V8_FLAGS = ["--v8-flags=--max-semi-space-size=1"] as const;

/** The release file name of a target's binary: `netkit-<target>`, `.exe` on Windows. */
export function outputName(target: Target): string {
  return `netkit-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/**
 * The `deno compile` arguments that build netkit into `output`. Project
 * files are named relative to the project root: run it with that as cwd.
 */
export function compileArgs(output: string, target?: Target): string[] {
  return [
    "compile",
    "--quiet",
    ...UNSTABLE,
    ...V8_FLAGS,
    ...PERMISSIONS,
    ...WORKER_MODULES.flatMap((m) => ["--include", m]),
    ...(target ? ["--target", target] : []),
    "--output",
    output,
    "main.ts",
  ];
}

/** One binary to build. */
export interface Build {
  /** Where it goes. */
  output: string;
  /** The target; the host's when absent. */
  target?: Target;
}

/** What the command line asks for. */
export interface PlanOptions {
  /** Every target. */
  all?: boolean;
  /** These targets. */
  targets?: string[];
  /** One build to this path instead of the default name. */
  output?: string;
  /** Where default names go. @default "dist" */
  dir?: string;
}

/**
 * Turns the command line into builds: the host's `dist/netkit` by default,
 * `dist/netkit-<target>[.exe]` for each named target.
 *
 * @throws {RangeError} on an unknown target, `--all` with `--target`, or
 * `--output` with more than one build
 */
export function planBuilds(options: PlanOptions): Build[] {
  const dir = options.dir ?? "dist";
  const named = options.targets ?? [];
  if (options.all && named.length > 0) {
    throw new RangeError("--all and --target exclude each other");
  }
  for (const t of named) {
    if (!isTarget(t)) {
      throw new RangeError(`unknown target '${t}'; expected one of: ${TARGETS.join(", ")}`);
    }
  }
  const targets = options.all ? [...TARGETS] : [...new Set(named as Target[])];
  if (targets.length === 0) return [{ output: options.output ?? `${dir}/netkit` }];
  if (options.output !== undefined) {
    if (targets.length > 1) throw new RangeError("--output names one build; drop it or --all");
    return [{ output: options.output, target: targets[0] }];
  }
  return targets.map((target) => ({ output: `${dir}/${outputName(target)}`, target }));
}

/** Runs `deno compile` for one build; resolves to its status and error output. */
export async function compile(
  output: string,
  options: { target?: Target; denortBin?: string } = {},
): Promise<{ success: boolean; stderr: string }> {
  const env: Record<string, string> = {};
  if (options.denortBin) env.DENORT_BIN = options.denortBin;
  const out = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(output, options.target),
    cwd: ROOT,
    env,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  return { success: out.success, stderr: new TextDecoder().decode(out.stderr) };
}

if (import.meta.main) {
  let builds: Build[];
  try {
    const { values } = parseArgs({
      args: Deno.args,
      options: {
        all: { type: "boolean" },
        target: { type: "string", multiple: true },
        output: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    });
    builds = planBuilds({
      all: values.all,
      targets: values.target,
      // A user's --output is relative to where they ran `deno task`, which
      // runs scripts in the project root and names the user's folder INIT_CWD.
      output: values.output === undefined
        ? undefined
        : resolve(Deno.env.get("INIT_CWD") ?? Deno.cwd(), values.output),
    });
  } catch (e) {
    console.error(`compile: ${(e as Error).message}`);
    Deno.exit(2);
  }
  for (const b of builds) {
    const r = await compile(b.output, { target: b.target });
    if (!r.success) {
      console.error(
        `compile: deno compile failed${b.target ? ` for ${b.target}` : ""}:\n${r.stderr}`,
      );
      if (/dns error|lookup address|download|denort/i.test(r.stderr)) {
        console.error(
          "compile: it could not get its denort runtime; " +
            "set DENORT_BIN to a denort binary for that platform",
        );
      }
      Deno.exit(1);
    }
    console.log(`compile: built ${b.output}${b.target ? ` (${b.target})` : ""}`);
  }
}
