// The hot-file fast path on its own: bounded by bytes, and never answering
// for a file that changed or a request that carries conditionals or ranges.
import { assert, assertEquals } from "./assert.ts";
import { HotPaths } from "../http/hot_path.ts";

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
    assertEquals(hot.answer("/a", get()), null);
    assertEquals(await hot.answer("/b", get())?.text(), "b".repeat(100));
    assertEquals(hot.answer("/c", get())?.headers.get("x-name"), "c");
  }));

Deno.test("HotPaths refuses changed files and conditional or range requests", () =>
  withFiles(async (dir) => {
    const hot = new HotPaths(0);
    remember(hot, dir, "a");
    assert(hot.answer("/a", get()) !== null);
    assertEquals(hot.answer("/a", get({ range: "bytes=0-1" })), null);
    assertEquals(hot.answer("/a", get({ "if-none-match": '"x"' })), null);
    assertEquals(hot.answer("/nope", get()), null);
    await Deno.writeTextFile(`${dir}/a`, "changed");
    assertEquals(hot.answer("/a", get()), null);
    assertEquals(hot.answer("/a", get()), null); // and it stays forgotten
  }));
