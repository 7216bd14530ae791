import assert from "node:assert/strict";
import { WORKER_MODULES } from "../scripts/worker_modules.ts";

// File URLs rather than paths, so the scan works the same on Windows.
const ROOT = new URL("../", import.meta.url);

async function* sources(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".") || ["dist", "tests", "library", "node_modules"].includes(e.name)) {
      continue;
    }
    if (e.isDirectory) yield* sources(new URL(`${e.name}/`, dir));
    else if (e.name.endsWith(".ts")) yield new URL(e.name, dir);
  }
}

Deno.test("worker modules: every Worker the code starts is in WORKER_MODULES (so compile embeds it)", async () => {
  const started = new Set<string>();
  for await (const file of sources(ROOT)) {
    const text = await Deno.readTextFile(file);
    if (!text.includes("new Worker(")) continue;
    // Worker entries are named with new URL("./x.ts", import.meta.url).
    for (
      const m of text.matchAll(/new URL\(\s*["']([^"']+\.ts)["']\s*,\s*import\.meta\.url\s*\)/g)
    ) {
      started.add(new URL(m[1], file).href.slice(ROOT.href.length));
    }
  }
  assert.ok(started.size > 0, "found no Worker in the code: the scan is broken");
  for (const m of started) {
    assert.ok(WORKER_MODULES.includes(m), `${m} starts as a Worker but is not in WORKER_MODULES`);
  }
  for (const m of WORKER_MODULES) {
    await Deno.stat(new URL(m, ROOT)); // every listed module exists
  }
});
