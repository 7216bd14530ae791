/**
 * Tests for the file-system half of the root jail (`server/jail_fs.ts`) with
 * real temp folders and symlinks.
 */

import assert from "node:assert/strict";
import { NetkitError } from "../core/errors.ts";
import { canonicalRoot, fsError, openInside, resolveInside } from "../core/library/jail_fs.ts";
import { type TempDir, tempDir } from "./temp_dir.ts";

const SECRET = "top secret\n";

/** For `assert.throws` and `assert.rejects`: a NetkitError of `code`. */
const netkitCode = (code: string) => (e: unknown) => e instanceof NetkitError && e.code === code;

// The layout below has relative and dangling symlinks: on Windows, creating
// symlinks needs a privilege, and Deno.symlink must be told a missing
// target's type, so the tests that use it run on Linux and macOS only.
const NO_WIN = { ignore: Deno.build.os === "windows" };
const WIN = NO_WIN.ignore ? " (skipped on Windows: symlinks need a privilege there)" : "";

/**
 * Lays out:
 * ```
 * outside/secret.txt
 * root/a.txt  root/sub/b.txt  root/folder/
 * root/in_link -> a.txt              root/in_abs -> <root>/sub/b.txt
 * root/sub_link -> sub               root/out_link -> ../outside/secret.txt
 * root/out_dir -> ../outside         root/out_abs -> <outside>/secret.txt
 * root/dangling -> nowhere           root/loop1 <-> root/loop2
 * root/sub/up -> ..  (back to root, still inside)
 * ```
 */
async function layout(
  dir: TempDir,
): Promise<{ root: string; outside: string }> {
  const root = dir.join("root");
  const outside = dir.join("outside");
  await Deno.mkdir(`${root}/sub`, { recursive: true });
  await Deno.mkdir(`${root}/folder`);
  await Deno.mkdir(outside);
  await Deno.writeTextFile(`${outside}/secret.txt`, SECRET);
  await Deno.writeTextFile(`${root}/a.txt`, "a");
  await Deno.writeTextFile(`${root}/sub/b.txt`, "b");
  await Deno.symlink("a.txt", `${root}/in_link`);
  await Deno.symlink(`${root}/sub/b.txt`, `${root}/in_abs`);
  await Deno.symlink("sub", `${root}/sub_link`);
  await Deno.symlink("..", `${root}/sub/up`);
  await Deno.symlink("../outside/secret.txt", `${root}/out_link`);
  await Deno.symlink(`${outside}/secret.txt`, `${root}/out_abs`);
  await Deno.symlink("../outside", `${root}/out_dir`);
  await Deno.symlink("nowhere", `${root}/dangling`);
  await Deno.symlink("loop2", `${root}/loop1`);
  await Deno.symlink("loop1", `${root}/loop2`);
  return { root, outside };
}

Deno.test("resolveInside with real symlinks" + WIN, NO_WIN, async (t) => {
  await using dir = await tempDir("jailfs-");
  const { root, outside } = await layout(dir);
  const ok = async (name: string, real: string, followSymlinks = false) => {
    const got = await resolveInside(root, name.split("/"), { followSymlinks });
    assert.deepEqual(got.real, real, name);
    return got;
  };
  const refused = async (
    name: string,
    code: string,
    followSymlinks = false,
  ) => {
    await assert.rejects(
      () => resolveInside(root, name.split("/"), { followSymlinks }),
      netkitCode(code),
      name,
    );
  };

  await t.step("plain file and subfolder file", async () => {
    assert.ok((await ok("a.txt", `${root}/a.txt`)).info.isFile);
    assert.ok((await ok("sub/b.txt", `${root}/sub/b.txt`)).info.isFile);
    assert.ok((await ok("folder", `${root}/folder`)).info.isDirectory);
  });
  await t.step("symlink inside -> inside is allowed", async () => {
    await ok("in_link", `${root}/a.txt`);
    await ok("in_abs", `${root}/sub/b.txt`);
    await ok("sub_link/b.txt", `${root}/sub/b.txt`);
    await ok("sub/up/a.txt", `${root}/a.txt`);
  });
  await t.step("symlink inside -> outside is FORBIDDEN", async () => {
    await refused("out_link", "FORBIDDEN");
    await refused("out_abs", "FORBIDDEN");
    await refused("out_dir", "FORBIDDEN");
  });
  await t.step(
    "a parent-folder symlink escaping the root is FORBIDDEN",
    async () => {
      await refused("out_dir/secret.txt", "FORBIDDEN");
    },
  );
  await t.step("followSymlinks lets the outside targets through", async () => {
    await ok("out_link", `${outside}/secret.txt`, true);
    await ok("out_abs", `${outside}/secret.txt`, true);
    await ok("out_dir/secret.txt", `${outside}/secret.txt`, true);
  });
  await t.step("dangling and missing are NOT_FOUND", async () => {
    for (const follow of [false, true]) {
      await refused("dangling", "NOT_FOUND", follow);
      await refused("missing.txt", "NOT_FOUND", follow);
      await refused("sub/missing/x", "NOT_FOUND", follow);
    }
  });
  await t.step("a file used as a folder is NOT_FOUND", async () => {
    await refused("a.txt/x", "NOT_FOUND");
  });
  await t.step(
    "a symlink loop is NOT_FOUND, not an untyped error",
    async () => {
      await refused("loop1", "NOT_FOUND");
      await refused("loop2/x", "NOT_FOUND");
    },
  );
  await t.step(
    "a name the file system finds too long is INVALID_NAME",
    async () => {
      await refused("x".repeat(300), "INVALID_NAME");
    },
  );
});

Deno.test("openInside opens regular files only, and only inside" + WIN, NO_WIN, async (t) => {
  await using dir = await tempDir("jailfs-");
  const { root } = await layout(dir);
  const read = async (name: string) => {
    const { file, info, real } = openInside(root, name.split("/"));
    try {
      const buf = new Uint8Array(64);
      const n = await file.read(buf);
      return {
        text: new TextDecoder().decode(buf.subarray(0, n ?? 0)),
        info,
        real,
      };
    } finally {
      file.close();
    }
  };
  await t.step("a file, directly and through an inside symlink", async () => {
    const a = await read("a.txt");
    assert.deepEqual([a.text, a.real, a.info.isFile, a.info.size], [
      "a",
      `${root}/a.txt`,
      true,
      1,
    ]);
    assert.equal((await read("in_link")).text, "a");
    assert.equal((await read("sub_link/b.txt")).text, "b");
  });
  await t.step("a folder (or a symlink to one) is NOT_FOUND", () => {
    for (const name of ["folder", "sub", "sub_link", "sub/up"]) {
      assert.throws(() => openInside(root, name.split("/")), netkitCode("NOT_FOUND"), name);
    }
  });
  await t.step("escaping symlinks are FORBIDDEN, unless followed", () => {
    for (const name of ["out_link", "out_dir/secret.txt"]) {
      assert.throws(() => openInside(root, name.split("/")), netkitCode("FORBIDDEN"), name);
      const { file } = openInside(root, name.split("/"), {
        followSymlinks: true,
      });
      file.close();
    }
  });
  await t.step("dangling is NOT_FOUND", () => {
    assert.throws(() => openInside(root, ["dangling"]), netkitCode("NOT_FOUND"));
  });
});

Deno.test("canonicalRoot resolves symlinks, wants an existing folder" + WIN, NO_WIN, async () => {
  await using dir = await tempDir("jailfs-");
  const { root } = await layout(dir);
  await Deno.symlink(root, dir.join("root_link"));
  assert.equal(await canonicalRoot(dir.join("root_link")), root);
  assert.deepEqual(await canonicalRoot(`${root}/sub/..`), root);
  for (
    const bad of [`${root}/a.txt`, dir.join("missing"), `${root}/dangling`]
  ) {
    await assert.rejects(() => canonicalRoot(bad), netkitCode("NOT_FOUND"), bad);
  }
});

Deno.test("fsError maps Deno errors to protocol codes and passes others through", () => {
  const table: [unknown, string][] = [
    [new Deno.errors.NotFound("x"), "NOT_FOUND"],
    [new Deno.errors.AlreadyExists("x"), "EXISTS"],
    [new Deno.errors.PermissionDenied("x"), "FORBIDDEN"],
    [new Deno.errors.NotCapable("x"), "FORBIDDEN"],
    [new Deno.errors.IsADirectory("x"), "NOT_FOUND"],
    [new Deno.errors.NotADirectory("x"), "NOT_FOUND"],
    [new Deno.errors.FilesystemLoop("x"), "NOT_FOUND"],
    [Object.assign(new Error("x"), { code: "ENOSPC" }), "NO_SPACE"],
    [Object.assign(new Error("x"), { code: "EDQUOT" }), "NO_SPACE"],
    [Object.assign(new Error("x"), { code: "ENAMETOOLONG" }), "INVALID_NAME"],
    [Object.assign(new Error("x"), { code: "ENOTDIR" }), "NOT_FOUND"],
    [Object.assign(new Error("x"), { code: "ELOOP" }), "NOT_FOUND"],
  ];
  for (const [e, code] of table) {
    const got = fsError(e, "f.txt");
    assert.ok(got instanceof NetkitError, `${e}`);
    assert.equal(got.code, code, String(e));
    assert.ok(got.message.startsWith("f.txt: "), got.message);
  }
  const own = new NetkitError("BUSY", "b");
  assert.equal(fsError(own, "f"), own);
  const other = new TypeError("bug");
  assert.equal(fsError(other, "f"), other);
  assert.equal(fsError("str", "f"), "str");
  assert.equal(fsError(null, "f"), null);
});
