/**
 * What a library shared by several hosts needs of the code that reads it,
 * checked without a cluster: reads retried once when they race another
 * host's replacement of a file, file versions that never rest on the
 * inode alone (Deno rounds it above 2^53), and the owner record of a
 * resumable upload that keeps a writer who lost its lock from publishing.
 * tests/cluster_test.ts checks the same on a real GlusterFS cluster.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isNetkitError } from "../core/errors.ts";
import { isStaleHandle, retryRead, retryReadSync } from "../core/library/stale_handle.ts";
import { isVersion, versionKey, versionOf } from "../core/file_version.ts";
import { AtomicFile } from "../core/library/atomic_file.ts";
import { PARTIAL_PREFIX } from "../core/library/part_files.ts";
import { PartOwner } from "../core/library/part_owner.ts";
import { tempDir } from "./temp_dir.ts";
import { fileInfo } from "./file_info.ts";
import { Library } from "../core/library/library.ts";
import { type FileContext, fileResponse } from "../http/file_response.ts";
import { FileCache } from "../http/file_cache.ts";
import { HotPaths } from "../http/hot_path.ts";
import { fileEtag } from "../http/conditional.ts";

/** What Deno 2.9 throws for ESTALE: no class, no code, only the OS's message. */
const estale = () => new Error("Stale file handle (os error 116)");

Deno.test("retryRead: ESTALE and ENOENT get one more try, the second failure is thrown", async () => {
  if (Deno.build.os === "linux") assert.ok(isStaleHandle(estale()));
  assert.ok(!isStaleHandle(new Error("Permission denied (os error 13)")));
  assert.ok(!isStaleHandle("ESTALE"));
  for (const first of [estale(), new Deno.errors.NotFound("gone")]) {
    if (first.message.includes("116") && Deno.build.os !== "linux") continue;
    let calls = 0;
    assert.equal(
      retryReadSync(() =>
        ++calls === 1
          ? (() => {
            throw first;
          })()
          : "fresh"
      ),
      "fresh",
    );
    assert.equal(calls, 2);
    calls = 0;
    assert.equal(
      await retryRead(() => ++calls === 1 ? Promise.reject(first) : Promise.resolve(1)),
      1,
    );
    assert.equal(calls, 2);
  }
  let calls = 0;
  const denied = new Deno.errors.PermissionDenied("no");
  assert.throws(() =>
    retryReadSync(() => {
      calls++;
      throw denied;
    }), denied);
  assert.equal(calls, 1, "other errors are not retried");
  calls = 0;
  const twice = new Deno.errors.NotFound("still gone");
  await assert.rejects(
    retryRead(() => {
      calls++;
      return Promise.reject(twice);
    }),
    twice,
  );
  assert.equal(calls, 2, "one retry, no more");
  calls = 0;
  assert.throws(() =>
    retryReadSync(
      () => {
        calls++;
        throw twice;
      },
      undefined,
      4,
    ), twice);
  assert.equal(calls, 4, "passes bounds the runs");
  calls = 0;
  assert.equal(
    retryReadSync(
      () => {
        if (++calls < 3) throw twice;
        return "third";
      },
      undefined,
      4,
    ),
    "third",
  );
});

/** A FileInfo with the fields a version is made of. */
function info(
  ino: number,
  size: number,
  mtimeMs: number,
  ctimeMs: number,
  dev = 47,
): Deno.FileInfo {
  return fileInfo({ ino, size, mtimeMs, ctimeMs, dev });
}

Deno.test("file versions: two GlusterFS inodes that round to one number are told apart", () => {
  // Two 64-bit inodes 1,000 apart are one double: the inode alone cannot tell them.
  const a = Number(13813287896941402000n);
  const b = Number(13813287896941403000n);
  assert.equal(a, b);
  const old = info(a, 4096, 1_796_317_491_049, 1_796_317_491_000);
  const replaced = info(b, 4096, 1_796_317_491_050, 1_796_317_491_000);
  assert.notEqual(versionKey(old), versionKey(replaced));
  assert.ok(!isVersion(versionOf(old), replaced));
  assert.ok(isVersion(versionOf(old), info(a, 4096, 1_796_317_491_049, 1_796_317_491_000)));
  // Each field on its own makes another version.
  for (
    const other of [
      info(a, 4097, 1_796_317_491_049, 1_796_317_491_000),
      info(a, 4096, 1_796_317_491_049, 1_796_317_492_000),
      info(a, 4096, 1_796_317_491_049, 1_796_317_491_000, 48),
    ]
  ) {
    assert.ok(!isVersion(versionOf(old), other));
    assert.notEqual(versionKey(old), versionKey(other));
  }
  assert.equal(versionKey({ ...old, ino: null }), null, "no inode: nothing is cached by version");
});

Deno.test("a resumable upload taken over by another writer publishes nothing and removes nothing", async () => {
  await using d = await tempDir("owner-");
  const up = await AtomicFile.resumable(d.path, "big.bin", 10);
  await up.write(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  const part = up.tempPath.slice(d.path.length + 1);
  assert.ok(part.startsWith(PARTIAL_PREFIX));
  // Another host resumed the upload after this one's lock was given up for
  // it (a host cut off past the file system's timeout): it claimed the part file.
  const other = await PartOwner.claim(d.path, part, `${d.path}/.netkit-tmp.other`);
  await assert.rejects(up.commit(), (e) => isNetkitError(e, "BUSY"));
  await assert.rejects(Deno.lstat(`${d.path}/big.bin`), Deno.errors.NotFound);
  assert.ok((await Deno.lstat(up.tempPath)).isFile, "the new owner's part file stays");
  assert.ok(await other.holds(), "and so does its claim");

  // The same for an upload thrown away (a checksum mismatch discards its part file).
  const second = await AtomicFile.resumable(d.path, "big.bin", 10);
  await PartOwner.claim(d.path, part, `${d.path}/.netkit-tmp.third`);
  await second.abort(true);
  assert.ok((await Deno.lstat(second.tempPath)).isFile);
});

Deno.test("a resumable upload that keeps its claim publishes, and leaves no owner record", async () => {
  await using d = await tempDir("owner-");
  {
    await using broken = await AtomicFile.resumable(d.path, "f.bin", 4);
    await broken.write(new Uint8Array([1, 2]));
    // Disposed without commit: the part file stays for the next attempt, alone.
  }
  const names = async () => (await Array.fromAsync(Deno.readDir(d.path))).map((e) => e.name).sort();
  assert.equal((await names()).length, 1);
  const resumed = await AtomicFile.resumable(d.path, "f.bin", 4);
  assert.equal(resumed.offset, 2);
  await resumed.file.seek(2, Deno.SeekMode.Start);
  await resumed.write(new Uint8Array([3, 4]));
  const published = await resumed.commit();
  assert.equal(published.size, 4);
  assert.deepEqual(await names(), ["f.bin"]);
  assert.deepEqual(await Deno.readFile(`${d.path}/f.bin`), new Uint8Array([1, 2, 3, 4]));
});

Deno.test("HTTP: a file replaced between its stat and its open is answered whole as the new file", async () => {
  await using d = await tempDir("replaced-");
  const library = await Library.open(d.path);
  const ctx: FileContext = {
    library,
    common: [],
    cacheControl: null,
    files: new FileCache(1 << 20, 1 << 20),
    compress: null,
    stallMs: 10_000,
    hot: new HotPaths(),
  };
  for (const size of [1000, 3 << 20]) { // read into memory, and streamed
    const name = `f${size}.bin`;
    await Deno.writeFile(`${d.path}/${name}`, new Uint8Array(size).fill(1));
    const found = library.find([name]); // the stat of the request
    // Another host's upload lands in between.
    await Deno.writeFile(`${d.path}/next`, new Uint8Array(size + 7).fill(2));
    await Deno.rename(`${d.path}/next`, `${d.path}/${name}`);
    const res = await fileResponse(ctx, new Request(`http://h/${name}`), found);
    assert.equal(res.status, 200);
    const now = library.find([name]).info;
    assert.equal(res.headers.get("content-length"), String(size + 7));
    assert.equal(res.headers.get("etag"), fileEtag(now.size, now.mtime!.getTime(), now.ino));
    const body = new Uint8Array(await res.arrayBuffer());
    assert.deepEqual(body, new Uint8Array(size + 7).fill(2));
  }
});
