/**
 * `deno task bench NAME [options]`: runs one of netkit's benchmarks. Each
 * benchmark is a module exporting `USAGE` and `main(args)`; add yours to
 * {@linkcode BENCHES}. Benchmarks are not tests: they are never part of
 * `deno task test`.
 *
 * @module
 */

interface Bench {
  /** One line for the list. */
  summary: string;
  /** Loads the module (lazily, so one benchmark never pays for another's imports). */
  load: () => Promise<{ USAGE: string; main(args: string[]): Promise<number> }>;
}

const BENCHES: Record<string, Bench> = {
  files: {
    summary: "file service: big transfers vs references, many clients per model, connection burst",
    load: () => import("./bench_files.ts"),
  },
};

function help(): string {
  const lines = Object.entries(BENCHES).map(([n, b]) => `  ${n.padEnd(8)} ${b.summary}`);
  return [
    "Usage: deno task bench NAME [options]   ('deno task bench NAME --help' for its options)",
    "",
    "Benchmarks:",
    ...lines,
  ].join("\n");
}

if (import.meta.main) {
  const [name = "files", ...rest] = Deno.args;
  if (name === "-h" || name === "--help") {
    console.log(help());
    Deno.exit(0);
  }
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`bench: unknown benchmark '${name}'\n${help()}`);
    Deno.exit(2);
  }
  const mod = await bench.load();
  try {
    Deno.exit(await mod.main(rest));
  } catch (e) {
    console.error(`bench ${name}: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
