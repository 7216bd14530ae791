import assert from "node:assert/strict";
import { UsageError } from "../core/cli/cli_args.ts";
import { baseName } from "../core/cli/local_path.ts";

Deno.test("baseName: the last segment of a local path, either separator", () => {
  assert.equal(baseName("a.txt"), "a.txt");
  assert.equal(baseName("/tmp/x/a.txt"), "a.txt");
  assert.equal(baseName("C:\\dl\\a.txt"), "a.txt");
  assert.equal(baseName("dir/a.txt/"), "a.txt");
  assert.equal(baseName("./.hidden"), ".hidden");
  assert.equal(baseName("a..b"), "a..b");
});

Deno.test("baseName: no name of its own in '', '.', '..' or a bare separator", () => {
  for (const bad of ["", ".", "..", "/", "\\", "x/..", "x/./", "../"]) {
    assert.throws(
      () => baseName(bad),
      (e: unknown) =>
        e instanceof UsageError && e.message === `cannot derive a file name from '${bad}'`,
      JSON.stringify(bad),
    );
  }
});
