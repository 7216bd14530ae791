import assert from "node:assert/strict";
import { WORKER_MODULES } from "../server/worker_modules.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".") || ["dist", "tests", "library", "node_modules"].includes(e.name)) {
      continue;
    }
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* sources(path);
    else if (e.name.endsWith(".ts")) yield path;
  }
}

Deno.test("worker modules: every Worker the code starts is in WORKER_MODULES (so compile embeds it)", async () => {
  const started = new Set<string>();
  for await (const file of sources(ROOT.replace(/\/$/, ""))) {
    const text = await Deno.readTextFile(file);
    if (!text.includes("new Worker(")) continue;
    // Worker entries are named with new URL("./x.ts", import.meta.url).
    for (
      const m of text.matchAll(/new URL\(\s*["']([^"']+\.ts)["']\s*,\s*import\.meta\.url\s*\)/g)
    ) {
      const abs = new URL(m[1], `file://${file}`).pathname;
      started.add(abs.slice(ROOT.length));
    }
  }
  assert.ok(started.size > 0, "found no Worker in the code: the scan is broken");
  for (const m of started) {
    assert.ok(WORKER_MODULES.includes(m), `${m} starts as a Worker but is not in WORKER_MODULES`);
  }
  for (const m of WORKER_MODULES) {
    await Deno.stat(`${ROOT}${m}`); // every listed module exists
  }
});
