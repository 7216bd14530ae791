// The hot-file fast path on its own: bounded by bytes, and never answering
// for a file that changed or a request that carries conditionals or ranges.
import assert from "node:assert/strict";
import { HotPaths } from "../http/hot_path.ts";
import { VirtualClock } from "./virtual_clock.ts";

async function withFiles(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "netkit-hot-" });
  try {
    for (const n of ["a", "b", "c"]) await Deno.writeTextFile(`${dir}/${n}`, n.repeat(100));
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function remember(hot: HotPaths, dir: string, n: string) {
  const bytes = new TextEncoder().encode(n.repeat(100));
  hot.remember(`/${n}`, `${dir}/${n}`, Deno.statSync(`${dir}/${n}`), [["x-name", n]], bytes, false);
}

const get = (headers: Record<string, string> = {}) => new Request("http://h/", { headers });

Deno.test("HotPaths keeps at most maxBytes, dropping the oldest", () =>
  withFiles(async (dir) => {
    const hot = new HotPaths(0, 250);
    for (const n of ["a", "b", "c"]) remember(hot, dir, n);
    assert.equal(hot.answer("/a", get()), null);
    assert.equal(await hot.answer("/b", get())?.text(), "b".repeat(100));
    assert.equal(hot.answer("/c", get())?.headers.get("x-name"), "c");
  }));

Deno.test("HotPaths refuses changed files and conditional or range requests", () =>
  withFiles(async (dir) => {
    const hot = new HotPaths(0);
    remember(hot, dir, "a");
    assert.ok(hot.answer("/a", get()) !== null);
    assert.equal(hot.answer("/a", get({ range: "bytes=0-1" })), null);
    assert.equal(hot.answer("/a", get({ "if-none-match": '"x"' })), null);
    assert.equal(hot.answer("/nope", get()), null);
    await Deno.writeTextFile(`${dir}/a`, "changed");
    assert.equal(hot.answer("/a", get()), null);
    assert.equal(hot.answer("/a", get()), null); // and it stays forgotten
  }));

Deno.test("HotPaths sees an edit once the revalidate window has passed, not before", () =>
  withFiles(async (dir) => {
    const clock = new VirtualClock();
    const hot = new HotPaths(200, undefined, undefined, clock);
    remember(hot, dir, "a");
    await Deno.writeTextFile(`${dir}/a`, "edited");
    clock.advance(199);
    assert.equal(await hot.answer("/a", get())?.text(), "a".repeat(100), "checked too soon");
    clock.advance(1);
    assert.equal(hot.answer("/a", get()), null, "the edit went unseen past the window");
  }));
