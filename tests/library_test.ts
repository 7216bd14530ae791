/**
 * Tests for the library door (`core/library/library.ts`) on real temp folders:
 * reading through the jail, uploads, folders, removal, and moves and copies
 * that are atomic, create-only when asked, and never seen half done.
 */

import assert from "node:assert/strict";
import { isNetkitError } from "../core/errors.ts";
import { Library } from "../core/library/library.ts";
import { TEMP_PREFIX } from "../core/library/temp_files.ts";
import { tempDir } from "./temp_dir.ts";

const enc = new TextEncoder();
const NO_WIN = { ignore: Deno.build.os === "windows" };

function code(...codes: Parameters<typeof isNetkitError>[1][]) {
  return (e: unknown) => {
    assert.ok(isNetkitError(e, ...codes), `expected ${codes.join("|")}, got ${e}`);
    return true;
  };
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

/** A library over a fresh folder holding a.txt, docs/{b.txt,.hidden}, a link in and a link out. */
async function fixture() {
  const d = await tempDir("library-");
  await Deno.mkdir(d.join("lib", "docs"), { recursive: true });
  await Deno.mkdir(d.join("outside"));
  await Deno.writeTextFile(d.join("lib", "a.txt"), "alpha");
  await Deno.writeTextFile(d.join("lib", "docs", "b.txt"), "beta");
  await Deno.writeTextFile(d.join("lib", "docs", ".hidden"), "h");
  await Deno.writeTextFile(d.join("outside", "secret.txt"), "secret");
  if (Deno.build.os !== "windows") {
    await Deno.symlink(d.join("lib", "a.txt"), d.join("lib", "link-in.txt"));
    await Deno.symlink(d.join("outside", "secret.txt"), d.join("lib", "link-out.txt"));
  }
  const lib = await Library.open(d.join("lib"));
  return { d, lib, path: (...p: string[]) => d.join("lib", ...p) };
}

Deno.test("library: open wants an existing folder, and makes its root canonical", async () => {
  await using d = await tempDir("library-");
  await assert.rejects(Library.open(d.join("missing")), code("NOT_FOUND"));
  await Deno.writeTextFile(d.join("f"), "x");
  await assert.rejects(Library.open(d.join("f")), code("NOT_FOUND"));
  const lib = await Library.open(d.path + "/.");
  assert.equal(lib.root, d.path);
});

Deno.test("library: names the jail refuses are refused by every operation", async () => {
  const { d, lib } = await fixture();
  await using _ = d;
  const bad = [["..", "x"], ["a/b"], [""], ["a\\b"], ["x\u0000"], [".hidden"], [
    `${TEMP_PREFIX}x`,
  ], ["%2e%2e"]];
  for (const s of bad) {
    assert.throws(() => lib.find(s), code("INVALID_NAME"), JSON.stringify(s));
    assert.throws(() => lib.openRead(s), code("INVALID_NAME"));
    await assert.rejects(lib.beginUpload(s), code("INVALID_NAME"));
    await assert.rejects(lib.mkdir(s), code("INVALID_NAME"));
    await assert.rejects(lib.remove(s), code("INVALID_NAME"));
    await assert.rejects(lib.move(["a.txt"], s), code("INVALID_NAME"));
    await assert.rejects(lib.copy(s, ["z"]), code("INVALID_NAME"));
  }
  assert.deepEqual(await names(d.join("outside")), ["secret.txt"]);
});

Deno.test("library: find, openRead and list stay inside the root", NO_WIN, async () => {
  const { d, lib } = await fixture();
  await using _ = d;
  assert.equal(lib.find(["link-in.txt"]).info.size, 5);
  assert.throws(() => lib.find(["link-out.txt"]), code("FORBIDDEN"));
  assert.throws(() => lib.openRead(["link-out.txt"]), code("FORBIDDEN"));
  assert.throws(() => lib.openRead(["docs"]), code("NOT_FOUND"));
  assert.equal(lib.tryFind(["nope"]), null);
  using f = lib.openRead(["docs", "b.txt"]).file;
  assert.equal(new TextDecoder().decode(await new Response(f.readable).bytes()), "beta");
  const root = await lib.list([]);
  assert.deepEqual(root.map((e) => [e.name, e.info.isDirectory]), [
    ["a.txt", false],
    ["docs", true],
    ["link-in.txt", false],
  ]);
  assert.deepEqual((await lib.list(["docs"])).map((e) => e.name), ["b.txt"]);
  assert.deepEqual((await lib.list([], 1)).length, 1);
  await assert.rejects(lib.list(["a.txt"]), code("NOT_FOUND"));
  const withHidden = await Library.open(lib.root, { hidden: true });
  assert.deepEqual((await withHidden.list(["docs"])).map((e) => e.name), [".hidden", "b.txt"]);
});

Deno.test("library: list reads a folder of 1,000 entries in batches, memory one batch", async () => {
  await using d = await tempDir("library-");
  for (let i = 0; i < 1000; i++) await Deno.writeTextFile(d.join(`f${i}`), String(i));
  const lib = await Library.open(d.path);
  let batches = 0;
  let count = 0;
  for await (const b of lib.entries([])) {
    batches++;
    count += b.length;
    assert.ok(b.length <= 64);
  }
  assert.equal(count, 1000);
  assert.ok(batches >= 16);
});

Deno.test("library: an upload appears only on commit, create-only unless overwrite", async () => {
  const { d, lib, path } = await fixture();
  await using _ = d;
  const up = await lib.beginUpload(["docs", "new.txt"]);
  await up.write(enc.encode("fresh"));
  assert.equal(await lib.exists(["docs", "new.txt"]), false);
  assert.deepEqual((await lib.list(["docs"])).map((e) => e.name), ["b.txt"], "temp is hidden");
  await up.commit();
  assert.equal(await Deno.readTextFile(path("docs", "new.txt")), "fresh");
  await assert.rejects(lib.beginUpload(["a.txt"]), code("EXISTS"));
  const over = await lib.beginUpload(["a.txt"], { overwrite: true });
  await over.write(enc.encode("replaced"));
  await over.commit();
  assert.equal(await Deno.readTextFile(path("a.txt")), "replaced");
  await assert.rejects(lib.beginUpload(["no", "such", "x.txt"]), code("NOT_FOUND"));
  await assert.rejects(lib.beginUpload(["a.txt", "x.txt"]), code("EXISTS"));
  const deep = await lib.beginUpload(["m", "n", "x.txt"], { mkdir: true });
  await deep.write(enc.encode("deep"));
  await deep.commit();
  assert.equal(await Deno.readTextFile(path("m", "n", "x.txt")), "deep");
});

Deno.test("library: a resumable upload keeps its part file across attempts", async () => {
  const { d, lib, path } = await fixture();
  await using _ = d;
  const first = await lib.beginUpload(["big.bin"], { resumeSize: 10 });
  assert.equal(first.offset, 0);
  await first.write(enc.encode("01234"));
  await first.abort();
  const second = await lib.beginUpload(["big.bin"], { resumeSize: 10 });
  assert.equal(second.offset, 5);
  await second.file.seek(5, Deno.SeekMode.Start);
  await second.write(enc.encode("56789"));
  await second.commit();
  assert.equal(await Deno.readTextFile(path("big.bin")), "0123456789");
});

Deno.test("library: mkdir makes one folder, or the missing parents too", async () => {
  const { d, lib, path } = await fixture();
  await using _ = d;
  await lib.mkdir(["new"]);
  assert.ok((await Deno.stat(path("new"))).isDirectory);
  await assert.rejects(lib.mkdir(["new"]), code("EXISTS"));
  await assert.rejects(lib.mkdir(["x", "y"]), code("NOT_FOUND"));
  await lib.mkdir(["x", "y", "z"], true);
  assert.ok((await Deno.stat(path("x", "y", "z"))).isDirectory);
  await assert.rejects(lib.mkdir([]), code("EXISTS"));
});

Deno.test(
  "library: remove takes files, links and empty folders; a tree only when recursive",
  NO_WIN,
  async () => {
    const { d, lib, path } = await fixture();
    await using _ = d;
    await lib.remove(["link-out.txt"]);
    assert.deepEqual(
      await names(d.join("outside")),
      ["secret.txt"],
      "the link goes, not its target",
    );
    await assert.rejects(lib.remove(["docs"]), code("EXISTS"));
    await lib.remove(["docs"], true);
    assert.equal(await lib.exists(["docs"]), false);
    assert.deepEqual(await names(path()), ["a.txt", "link-in.txt"], "nothing set aside is left");
    await assert.rejects(lib.remove(["docs"]), code("NOT_FOUND"));
    await assert.rejects(lib.remove([]), code("FORBIDDEN"));
  },
);

Deno.test("library: move renames files and folders, create-only unless overwrite", async () => {
  const { d, lib, path } = await fixture();
  await using _ = d;
  assert.equal(await lib.move(["a.txt"], ["docs", "a2.txt"]), false);
  assert.equal(await Deno.readTextFile(path("docs", "a2.txt")), "alpha");
  assert.equal(await lib.exists(["a.txt"]), false);
  await assert.rejects(lib.move(["docs", "a2.txt"], ["docs", "b.txt"]), code("EXISTS"));
  assert.equal(await lib.move(["docs", "a2.txt"], ["docs", "b.txt"], { overwrite: true }), true);
  assert.equal(await Deno.readTextFile(path("docs", "b.txt")), "alpha");
  await assert.rejects(lib.move(["missing"], ["x"]), code("NOT_FOUND"));
  await assert.rejects(lib.move(["docs"], ["no", "x"]), code("NOT_FOUND"));
  await assert.rejects(lib.move(["docs"], ["docs", "sub"]), code("FORBIDDEN"));
  await assert.rejects(lib.move(["docs"], ["docs"]), code("FORBIDDEN"));
  await lib.mkdir(["other"]);
  await Deno.writeTextFile(path("other", "keep.txt"), "k");
  await assert.rejects(lib.move(["docs"], ["other"]), code("EXISTS"));
  assert.equal(await lib.move(["docs"], ["other"], { overwrite: true }), true);
  assert.deepEqual(await names(path("other")), [".hidden", "b.txt"]);
  assert.equal(await lib.move(["other"], ["moved"]), false);
  assert.equal(await lib.exists(["other"]), false);
  assert.deepEqual(await names(path("moved")), [".hidden", "b.txt"]);
  assert.ok(
    !(await names(path())).some((n) => n.startsWith(TEMP_PREFIX)),
    "nothing set aside is left",
  );
});

/** Sets or clears the immutable attribute (`chattr`); false where the file system or tool refuses. */
async function immutable(path: string, on: boolean): Promise<boolean> {
  try {
    const out = await new Deno.Command("chattr", { args: [on ? "+i" : "-i", path], stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

Deno.test("library: a replacing move that fails puts back what stepped aside", NO_WIN, async () => {
  const { d, lib, path } = await fixture();
  await using _ = d;
  // An immutable file cannot be renamed, even by root: the move fails after
  // the folder it would replace has stepped aside.
  if (!(await immutable(path("a.txt"), true))) {
    console.log("skipped: chattr +i is not available on this file system");
    return;
  }
  try {
    await assert.rejects(lib.move(["a.txt"], ["docs"], { overwrite: true }));
  } finally {
    await immutable(path("a.txt"), false);
  }
  assert.deepEqual(await names(path("docs")), [".hidden", "b.txt"], "the folder is back");
  assert.equal(await Deno.readTextFile(path("a.txt")), "alpha");
  assert.ok(!(await names(path())).some((n) => n.startsWith(TEMP_PREFIX)), "nothing left aside");
});

Deno.test("library: of 10 racing create-only moves to one name, exactly one wins", async () => {
  await using d = await tempDir("library-");
  for (let i = 0; i < 10; i++) await Deno.writeTextFile(d.join(`s${i}`), `mover ${i}`);
  const lib = await Library.open(d.path);
  const results = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) => lib.move([`s${i}`], ["target"])),
  );
  const won = results.flatMap((r, i) => r.status === "fulfilled" ? [i] : []);
  assert.equal(won.length, 1, JSON.stringify(results));
  for (const r of results) if (r.status === "rejected") code("EXISTS")(r.reason);
  assert.equal(await Deno.readTextFile(d.join("target")), `mover ${won[0]}`);
  assert.equal((await names(d.path)).length, 10, "the losers keep their sources");
});

Deno.test("library: copy publishes a whole file or tree, create-only unless overwrite", async () => {
  const { d, lib, path } = await fixture();
  await using _ = d;
  assert.equal(await lib.copy(["a.txt"], ["a-copy.txt"]), false);
  assert.equal(await Deno.readTextFile(path("a-copy.txt")), "alpha");
  await assert.rejects(lib.copy(["a.txt"], ["a-copy.txt"]), code("EXISTS"));
  await Deno.writeTextFile(path("a.txt"), "changed");
  assert.equal(await lib.copy(["a.txt"], ["a-copy.txt"], { overwrite: true }), true);
  assert.equal(await Deno.readTextFile(path("a-copy.txt")), "changed");
  assert.equal(await lib.copy(["docs"], ["docs2"]), false);
  assert.deepEqual(await names(path("docs2")), [".hidden", "b.txt"]);
  assert.equal(await lib.copy(["docs"], ["empty"], { depth: 0 }), false);
  assert.deepEqual(await names(path("empty")), []);
  assert.equal(await lib.copy(["a.txt"], ["docs2"], { overwrite: true }), true);
  assert.equal(await Deno.readTextFile(path("docs2")), "changed", "a file replaced a folder");
  await assert.rejects(lib.copy(["docs"], ["docs", "inner"]), code("FORBIDDEN"));
  assert.ok(!(await names(path())).some((n) => n.startsWith(TEMP_PREFIX)), "no temp left");
});

Deno.test("library: a tree being copied is never seen half done", async () => {
  await using d = await tempDir("library-");
  await Deno.mkdir(d.join("src"));
  const FILES = 300;
  for (let i = 0; i < FILES; i++) await Deno.writeTextFile(d.join("src", `f${i}`), "x".repeat(i));
  const lib = await Library.open(d.path);
  let done = false;
  const copying = lib.copy(["src"], ["dst"]).finally(() => done = true);
  let looks = 0;
  // Look until the copy has finished (bounded: the copy of 300 small files ends).
  while (!done && looks < 100_000) {
    looks++;
    try {
      const n = (await names(d.join("dst"))).length;
      assert.equal(n, FILES, "the destination appeared with only part of the tree");
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  await copying;
  assert.equal((await names(d.join("dst"))).length, FILES);
});

Deno.test("library: dead properties go with their entry through move, copy and remove", async () => {
  const { d, lib, path } = await fixture();
  await using _ = d;
  const prop = (v: string) => [{ ns: "urn:x", local: "p", xml: `<p xmlns="urn:x">${v}</p>` }];
  await lib.patchDeadProps(["a.txt"], () => prop("a"));
  await lib.patchDeadProps(["docs", "b.txt"], () => prop("b"));
  await lib.patchDeadProps(["docs"], () => prop("docs"));
  assert.equal(await lib.move(["a.txt"], ["docs", "b.txt"], { overwrite: true }), true);
  assert.deepEqual(await lib.deadProps(["docs", "b.txt"]), prop("a"), "carried; b's vanish");
  await Deno.writeTextFile(path("c.txt"), "c");
  await lib.patchDeadProps(["c.txt"], () => prop("c"));
  await assert.rejects(lib.move(["docs", "b.txt"], ["c.txt"]), code("EXISTS"));
  assert.deepEqual(await lib.deadProps(["docs", "b.txt"]), prop("a"), "a failed move keeps them");
  assert.deepEqual(await lib.deadProps(["c.txt"]), prop("c"));
  await lib.copy(["docs", "b.txt"], ["b-copy.txt"]);
  assert.deepEqual(await lib.deadProps(["b-copy.txt"]), prop("a"));
  await lib.copy(["docs"], ["docs2"]);
  assert.deepEqual(await lib.deadProps(["docs2"]), prop("docs"));
  assert.deepEqual(await lib.deadProps(["docs2", "b.txt"]), prop("a"), "a tree's members' too");
  await lib.remove(["c.txt"]);
  await Deno.writeTextFile(path("c.txt"), "new");
  assert.deepEqual(await lib.deadProps(["c.txt"]), [], "none left for a new entry of the name");
  await lib.mkdir(["f"]);
  await Deno.writeTextFile(path("f", "x"), "x");
  await lib.patchDeadProps(["f", "x"], () => prop("x"));
  await lib.remove(["f", "x"]);
  await lib.remove(["f"]); // only the properties' own folder was left in it
  assert.equal(await lib.exists(["f"]), false);
});

Deno.test("library: cleanTemps removes a dead process's temp folders and files", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  await using d = await tempDir("library-");
  const child = new Deno.Command("true").spawn();
  await child.status; // a pid that is surely dead now
  const host = Deno.hostname().replaceAll(/[^A-Za-z0-9-]/g, "_");
  const dead = `${TEMP_PREFIX}${host}.${child.pid}.0011223344556677`;
  await Deno.mkdir(d.join(dead, "sub"), { recursive: true });
  await Deno.writeTextFile(d.join(dead, "sub", "f"), "x");
  await Deno.writeTextFile(d.join(`${dead}x`), "y");
  await Deno.writeTextFile(d.join("keep.txt"), "k");
  const lib = await Library.open(d.path);
  assert.equal(await lib.cleanTemps(), 2);
  assert.deepEqual(await names(d.path), ["keep.txt"]);
});
