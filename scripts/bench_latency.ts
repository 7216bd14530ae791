/**
 * Shows that a large verified transfer does not stall the other clients:
 * small requests (LIST and a 4 KiB GET) are timed alone, then while one
 * client uploads a large file, with the server hashing large transfers in a
 * Worker (`--hash-offload 8MiB`) and inline (`--hash-offload off`, the
 * default for XXH3-128).
 *
 * Usage: deno run -A --unstable-net --unstable-worker-options scripts/bench_latency.ts [--size MiB]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FileClient } from "../client/client.ts";
import { netkitArgs, startNetkitServer } from "../tests/cli_helpers.ts";

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `n=${s.length} p50=${quantile(s, 0.5).toFixed(2)}ms p99=${
    quantile(s, 0.99).toFixed(2)
  }ms max=${(s.at(-1) ?? NaN).toFixed(2)}ms`;
}

/** Times small requests until `until` resolves (or `count` requests when it is null). */
async function probe(
  client: FileClient,
  dest: string,
  until: Promise<unknown> | null,
  count = 300,
) {
  const list: number[] = [];
  const get: number[] = [];
  let done = false;
  until?.finally(() => done = true);
  const deadline = performance.now() + 120_000;
  for (let i = 0; until ? !done : i < count; i++) {
    if (performance.now() > deadline) break;
    let t = performance.now();
    await client.list();
    list.push(performance.now() - t);
    t = performance.now();
    await client.download("small.bin", dest, { overwrite: true });
    get.push(performance.now() - t);
  }
  return { list, get };
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { size: { type: "string" } } });
  const mib = Number(values.size ?? 512);
  const dir = await Deno.makeTempDir({ prefix: "netkit-bench-latency-" });
  try {
    await Deno.mkdir(`${dir}/lib`);
    await Deno.writeFile(`${dir}/lib/small.bin`, crypto.getRandomValues(new Uint8Array(4096)));
    {
      using f = await Deno.open(`${dir}/big.bin`, { write: true, create: true });
      const chunk = crypto.getRandomValues(new Uint8Array(65536));
      const mb = new Uint8Array(1 << 20);
      for (let i = 0; i < 16; i++) mb.set(chunk, i * 65536);
      for (let i = 0; i < mib; i++) await f.write(mb);
    }
    console.log(`netkit bench: small-request latency during a ${mib} MiB verified upload`);
    for (const offload of ["8MiB", "off"]) {
      const server = await startNetkitServer([
        "serve-files",
        "--root",
        `${dir}/lib`,
        "--port",
        "0",
        "--quiet",
        "--hash-offload",
        offload,
      ]);
      const port = server.port;
      try {
        await using small = await FileClient.connect({ port });
        const alone = await probe(small, `${dir}/small.out`, null);
        const t0 = performance.now();
        // The big upload runs in its own process, so only the server is shared.
        const upload = new Deno.Command(Deno.execPath(), {
          args: netkitArgs([
            "client",
            `127.0.0.1:${port}`,
            "put",
            `${dir}/big.bin`,
            `big-${offload}.bin`,
          ]),
          stdout: "null",
          stderr: "null",
        }).output();
        const during = await probe(small, `${dir}/small.out`, upload);
        if (!(await upload).success) throw new Error("the big upload failed");
        const secs = (performance.now() - t0) / 1000;
        console.log(
          `hash ${offload === "off" ? "inline" : "in a Worker"} (--hash-offload ${offload}):`,
        );
        console.log(`  alone     LIST ${summary(alone.list)}  GET 4KiB ${summary(alone.get)}`);
        console.log(`  during    LIST ${summary(during.list)}  GET 4KiB ${summary(during.get)}`);
        console.log(
          `  upload    ${mib} MiB in ${secs.toFixed(2)}s (${(mib / secs).toFixed(0)} MiB/s)`,
        );
      } finally {
        await server.stop("SIGTERM");
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
