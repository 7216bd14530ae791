/**
 * netkit as a cluster: three hosts (network namespaces on a private bridge)
 * on one GlusterFS replica-3 volume, each running `netkit serve-files` and
 * `netkit http`, with nginx and haproxy in front on the loopback
 * (`scripts/cluster.ts`). The cluster comes up once for the file; every
 * step talks to real hosts through real sockets, and disposal removes
 * every process (by PID), mount, namespace and the bridge, also when a
 * step fails. Skipped, saying why, where that cannot be made (not root,
 * packages missing: `.ci/run` installs them).
 *
 * @module
 */

import assert from "node:assert/strict";
import { isNetkitError } from "../core/errors.ts";
import { INTERNAL_PREFIX } from "../core/library/jail.ts";
import { type ClusterHost, startCluster } from "../scripts/cluster/cluster.ts";
import { missingForCluster } from "../scripts/cluster/preflight.ts";
import {
  Bytes,
  connectFiles,
  type Endpoint,
  httpGet,
  httpPut,
  randomBytes,
  runName,
} from "./cluster_helpers.ts";
import { assertSameBytes } from "./same_bytes.ts";
import { tempDir } from "./temp_dir.ts";
import { overwriteRounds, racingOverwrites, restartUnderLoad } from "./cluster_steps.ts";
import { davAcrossHosts, shareLinksAcrossHosts } from "./cluster_state_steps.ts";

const skip = await missingForCluster();
if (skip !== null) console.error(`cluster tests skipped: ${skip}`);

const files = (h: ClusterHost): Endpoint => ({ hostname: h.address, port: h.filesPort });
const web = (h: ClusterHost) => `http://${h.address}:${h.httpPort}`;

Deno.test({
  name: "cluster: three netkit hosts on one GlusterFS volume, behind nginx and haproxy",
  ignore: skip !== null,
  // The cluster's processes outlive each step by design; all are stopped
  // by PID when the cluster is disposed of, at the end of this test.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using cluster = await startCluster({
      name: runName(),
      timeoutMs: 150_000, // about 20 s on a quiet machine; 80 s seen under a load of 18
      removeOnExit: true,
    });
    await using local = await tempDir("cluster-");
    const token = cluster.token;
    const [A, B, C] = cluster.hosts;
    const step = (name: string, fn: () => Promise<void>) =>
      t.step({ name, fn, sanitizeOps: false, sanitizeResources: false });
    const client = async (h: ClusterHost | Endpoint) =>
      new Bytes(await connectFiles("address" in h ? files(h) : h, token), local);

    await step("a file put through host A is got whole through hosts B and C", async () => {
      const data = randomBytes(3 << 20);
      await using a = await client(A);
      await a.put("first.bin", data);
      for (const h of [B, C]) {
        await using other = await client(h);
        assertSameBytes(await other.get("first.bin"), data, `through host ${h.index}`);
      }
      const page = randomBytes(1 << 20);
      assert.equal(await httpPut(`${web(A)}/first-web.bin`, page, token), 201);
      const etags = new Set<string | null>();
      for (const h of [A, B, C]) {
        const got = await httpGet(`${web(h)}/first-web.bin`);
        assert.equal(got.status, 200);
        assertSameBytes(got.body, page, `HTTP through host ${h.index}`);
        etags.add(got.etag);
      }
      assert.equal(etags.size, 1, `one ETag on every host, got ${[...etags].join(", ")}`);
    });

    await step("an overwrite through A is never served through B or C mixed or half", async () => {
      await overwriteRounds({ cluster, local, writer: A, readers: [B, C], rounds: 4 });
    });

    await step(
      "racing overwrites through A and C: every host serves one whole version",
      async () => {
        await racingOverwrites({ cluster, local, writers: [A, C], rounds: 40 });
      },
    );

    await step("create-only races through A and B: one winner, whole, 100 rounds", async () => {
      await using a = await client(A);
      await using b = await client(B);
      for (let r = 0; r < 100; r++) {
        const name = `race-${r}.bin`;
        const [da, db] = [randomBytes(16384), randomBytes(16384)];
        const results = await Promise.allSettled([a.put(name, da), b.put(name, db)]);
        const won = results.filter((x) => x.status === "fulfilled").length;
        assert.equal(won, 1, `round ${r}: ${won} winners`);
        const lost = results.find((x) => x.status === "rejected") as PromiseRejectedResult;
        assert.ok(isNetkitError(lost.reason, "EXISTS"), `round ${r}: ${lost.reason}`);
        const winner = results[0].status === "fulfilled" ? da : db;
        assertSameBytes(await Deno.readFile(`${C.library}/${name}`), winner, `round ${r}`);
      }
      const internal: string[] = [];
      for await (const e of Deno.readDir(A.library)) {
        if (e.name.startsWith(INTERNAL_PREFIX)) internal.push(e.name);
      }
      assert.deepEqual(internal, [], "losers leave no temp file");
    });

    await step(
      "an upload through A whose server is killed leaves nothing under its name",
      async () => {
        const data = randomBytes(48 << 20);
        await using a = await client(A);
        let killed: Promise<void> | null = null;
        await assert.rejects(a.put("killed.bin", data, {
          onProgress: (done) => {
            if (done >= 8 << 20) killed ??= cluster.stop("files", A.index, "SIGKILL");
          },
        }));
        await killed;
        for (const h of [A, B, C]) {
          await assert.rejects(Deno.lstat(`${h.library}/killed.bin`), Deno.errors.NotFound);
        }
        await using b = await client(B);
        assert.ok(!(await b.client.list()).some((e) => e.name === "killed.bin"));
        await cluster.start("files", A.index);
      },
    );

    await step("a resumable upload broken through A is resumed through B", async () => {
      const data = randomBytes(24 << 20);
      const mtime = new Date(); // one version of the source, uploaded twice
      const cut = new AbortController();
      const a = new Bytes(await connectFiles(files(A), token, { signal: cut.signal }), local);
      await assert.rejects(a.put("resumed.bin", data, {
        resume: true,
        mtime,
        onProgress: (done) => done >= 8 << 20 && cut.abort(),
      }));
      // Host A lets go of the part file once it sees the connection end;
      // until then B answers BUSY (after a short wait of its own).
      let result = null;
      for (let attempt = 0; attempt < 10 && result === null; attempt++) {
        await using b = await client(B);
        try {
          result = await b.put("resumed.bin", data, { resume: true, mtime });
        } catch (e) {
          if (!isNetkitError(e, "BUSY")) throw e;
        }
      }
      assert.ok(result !== null, "host B never got the part file");
      assert.ok(result.transferred < data.length, `resumed, not restarted: ${result.transferred}`);
      await using c = await client(C);
      assertSameBytes(await c.get("resumed.bin"), data);
    });

    await step("with one host's brick gone, every host keeps taking uploads", async () => {
      await cluster.killBrick(C.index);
      try {
        for (const [h, reader] of [[A, B], [B, C], [C, A]] as const) {
          const data = randomBytes(1 << 20);
          await using w = await client(h);
          await w.put(`brickless-${h.index}.bin`, data);
          await using r = await client(reader);
          assertSameBytes(await r.get(`brickless-${h.index}.bin`), data);
        }
        const page = randomBytes(256 << 10);
        const lb = `http://127.0.0.1:${cluster.balancers.nginxHttp}`;
        assert.equal(await httpPut(`${lb}/brickless-web.bin`, page, token), 201);
        assertSameBytes((await httpGet(`${lb}/brickless-web.bin`)).body, page);
      } finally {
        await cluster.restartBricks();
      }
    });

    await step("every request through both balancers succeeds while a host restarts", async () => {
      await restartUnderLoad({ cluster, local, host: B });
    });

    await step(
      "WebDAV locks and dead properties made through one host hold on every host",
      () => davAcrossHosts(cluster),
    );

    await step(
      "a share link opens through every host; revoked on one host, it closes on all",
      () => shareLinksAcrossHosts(cluster),
    );
  },
});
