/**
 * The longer steps of the cluster test: overwrites watched by readers on
 * other hosts, and a rolling restart under load through every balancer.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Cluster, ClusterHost } from "../scripts/cluster/cluster.ts";
import {
  Bytes,
  connectFiles,
  type Endpoint,
  fingerprint,
  httpGet,
  httpPut,
  randomBytes,
} from "./cluster_helpers.ts";
import type { TempDir } from "./temp_dir.ts";
import type { HashName } from "../core/hash/hash.ts";

/** Reads that may pass before a reader must see a new version (about a second of staleness). */
const MAX_STALE_READS = 4000;

/** One way of reading one file through one host: its bytes' fingerprint, and its ETag if any. */
type Read = () => Promise<{ fp: string; tag: string | null }>;

/** A kind of file watched: how it is written through the writer and read through a reader. */
interface Watched {
  what: string;
  size: number;
  write(data: Uint8Array<ArrayBuffer>): Promise<void>;
  reader(h: ClusterHost): Promise<Read & AsyncDisposable>;
}

/**
 * Overwrites one file `rounds` times through `writer` while every reader
 * reads it through its own host: each read must be one whole version,
 * verified (the file protocol's digest, or one ETag for one content in
 * HTTP), never older than a version the reader saw already, and every
 * reader must see each new version (after the staleness window).
 */
export async function overwriteRounds(o: {
  cluster: Cluster;
  local: TempDir;
  writer: ClusterHost;
  readers: ClusterHost[];
  rounds: number;
}): Promise<void> {
  const { cluster, local, writer } = o;
  const token = cluster.token;
  const viaFiles = (name: string, size: number, hashes?: HashName[]): Watched => ({
    what: `${name} (file protocol${hashes ? `, ${hashes}` : ""})`,
    size,
    async write(data) {
      await using w = new Bytes(await connectFiles(endpoint(writer), token), local);
      await w.put(name, data, { overwrite: true });
    },
    async reader(h) {
      const r = new Bytes(await connectFiles(endpoint(h), token, { hashes }), local);
      const read = async () => ({ fp: fingerprint(await r.get(name)), tag: null });
      return Object.assign(read, { [Symbol.asyncDispose]: () => r[Symbol.asyncDispose]() });
    },
  });
  const viaHttp = (name: string, size: number): Watched => ({
    what: `${name} (HTTP)`,
    size,
    async write(data) {
      // 201 for a new file; 204 for a replaced one (the hosts speak WebDAV too).
      const status = await httpPut(
        `http://${writer.address}:${writer.httpPort}/${name}`,
        data,
        token,
      );
      assert.ok(status === 201 || status === 204, `PUT: ${status}`);
    },
    reader(h) {
      const read = async () => {
        const got = await httpGet(`http://${h.address}:${h.httpPort}/${name}`);
        assert.equal(got.status, 200, `HTTP ${got.status} through host ${h.index}`);
        return { fp: fingerprint(got.body), tag: got.etag };
      };
      return Promise.resolve(
        Object.assign(read, { [Symbol.asyncDispose]: () => Promise.resolve() }),
      );
    },
  });
  const kinds = [
    viaFiles("over-small.bin", 64 << 10),
    viaFiles("over-big.bin", 9 << 20, ["sha256"]),
    viaHttp("over-web.bin", 64 << 10),
  ];
  await Promise.all(kinds.map((k) => watch(k, o.readers, o.rounds)));
}

function endpoint(h: ClusterHost): Endpoint {
  return { hostname: h.address, port: h.filesPort };
}

async function watch(kind: Watched, hosts: ClusterHost[], rounds: number): Promise<void> {
  const versions = new Map<string, number>();
  const tags = new Map<string, string>();
  const readers = await Promise.all(
    hosts.map(async (h) => ({ h, read: await kind.reader(h), last: -1 })),
  );
  try {
    for (let k = 0; k <= rounds; k++) {
      const data = randomBytes(kind.size);
      versions.set(fingerprint(data), k);
      const writing = kind.write(data);
      writing.catch(() => {}); // awaited below, after the readers
      await Promise.all(readers.map(async (r) => {
        for (let n = 0; r.last < k; n++) {
          assert.ok(n < MAX_STALE_READS, `${kind.what}: host ${r.h.index} never saw version ${k}`);
          let got;
          try {
            got = await r.read();
          } catch (e) {
            // Before the first version is published there is nothing to read.
            if (k === 0 && versions.size === 1) continue;
            throw new Error(`${kind.what}: read through host ${r.h.index} failed: ${e}`, {
              cause: e,
            });
          }
          const v = versions.get(got.fp);
          assert.ok(v !== undefined, `${kind.what}: host ${r.h.index} served bytes of no version`);
          assert.ok(
            v >= r.last,
            `${kind.what}: host ${r.h.index} went back from ${r.last} to ${v}`,
          );
          if (got.tag !== null) {
            const named = tags.get(got.tag) ?? got.fp;
            assert.equal(named, got.fp, `${kind.what}: one ETag ${got.tag} for two contents`);
            tags.set(got.tag, got.fp);
          }
          r.last = v;
        }
      }));
      await writing;
    }
  } finally {
    for (const r of readers) await r.read[Symbol.asyncDispose]();
  }
}

/**
 * Overwrites of one name racing through `writers` at once, `rounds` times;
 * after each round every host's answer (verified by the client against
 * the digest its server sends) must be one writer's whole file.
 */
export async function racingOverwrites(o: {
  cluster: Cluster;
  local: TempDir;
  writers: ClusterHost[];
  rounds: number;
}): Promise<void> {
  const token = o.cluster.token;
  const open = async (h: ClusterHost) => new Bytes(await connectFiles(endpoint(h), token), o.local);
  const writers = await Promise.all(o.writers.map(open));
  const readers = await Promise.all(o.cluster.hosts.map(open));
  const written = new Set<string>();
  try {
    for (let r = 0; r < o.rounds; r++) {
      const versions = writers.map(() => randomBytes(4096));
      for (const v of versions) written.add(fingerprint(v));
      await Promise.all(
        writers.map((w, i) => w.put("racing.bin", versions[i], { overwrite: true })),
      );
      for (const [i, reader] of readers.entries()) {
        // The client checks the bytes against the server's digest; an older
        // round's version is the staleness window, bytes of no version are a fault.
        const got = fingerprint(await reader.get("racing.bin"));
        assert.ok(written.has(got), `round ${r}: host ${i + 1} served bytes of no version`);
      }
    }
  } finally {
    for (const c of [...writers, ...readers]) await c[Symbol.asyncDispose]();
  }
}

/** Successes of one load loop; waiters are told when a count is reached or the loop ends. */
class Progress {
  ok = 0;
  ended = false;
  #waiters: { n: number; resolve: () => void }[] = [];

  bump(): void {
    this.ok++;
    this.#settle();
  }

  end(): void {
    this.ended = true;
    this.#settle();
  }

  /** Resolves once `more` further successes happened (or the loop ended). */
  more(more: number): Promise<void> {
    const n = this.ok + more;
    return new Promise((resolve) => {
      this.#waiters.push({ n, resolve });
      this.#settle();
    });
  }

  #settle(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (this.ok < w.n && !this.ended) return true;
      w.resolve();
      return false;
    });
  }
}

/**
 * A rolling restart under load: requests (an upload, then a download of
 * it, compared) go without pause through nginx and haproxy, over HTTP and
 * the file protocol (a fresh connection per request), while `host` is
 * drained from both balancers, its services stopped and started again,
 * and put back. Every request must succeed with the right bytes.
 */
export async function restartUnderLoad(o: { cluster: Cluster; local: TempDir; host: ClusterHost }) {
  const { cluster, local, host } = o;
  const token = cluster.token;
  const lb = cluster.balancers;
  const run = crypto.randomUUID().slice(0, 8); // new names: no earlier version to be stale about
  const http = (port: number) => async (n: number) => {
    const url = `http://127.0.0.1:${port}/lb-${run}-${port}-${n}.bin`;
    const data = randomBytes(32 << 10);
    assert.equal(await httpPut(url, data, token), 201);
    const got = await httpGet(url);
    assert.equal(got.status, 200);
    assert.equal(fingerprint(got.body), fingerprint(data));
  };
  const filesVia = (port: number) => async (n: number) => {
    const to = { hostname: "127.0.0.1", port };
    const data = randomBytes(32 << 10);
    {
      await using w = new Bytes(await connectFiles(to, token), local);
      await w.put(`lb-${run}-${port}-${n}.bin`, data);
    }
    await using r = new Bytes(await connectFiles(to, token), local);
    assert.equal(fingerprint(await r.get(`lb-${run}-${port}-${n}.bin`)), fingerprint(data));
  };
  const loops = [
    { name: "nginx http", once: http(lb.nginxHttp) },
    { name: "haproxy http", once: http(lb.haproxyHttp) },
    { name: "nginx stream files", once: filesVia(lb.nginxFiles) },
    { name: "haproxy files", once: filesVia(lb.haproxyFiles) },
  ].map((l) => ({ ...l, progress: new Progress() }));
  const failures: string[] = [];
  let running = true;
  const done = loops.map(async (l) => {
    for (let n = 0; running && n < 5000; n++) {
      try {
        await l.once(n);
        l.progress.bump();
      } catch (e) {
        failures.push(`${l.name} request ${n}: ${e}`);
        if (failures.length >= 20) break;
      }
    }
    l.progress.end();
  });
  const each = (k: number) => Promise.all(loops.map((l) => l.progress.more(k)));
  try {
    await each(3);
    await cluster.drain(host.index);
    await Promise.all([cluster.stop("files", host.index), cluster.stop("http", host.index)]);
    await each(3); // served while the host is down
    await Promise.all([cluster.start("files", host.index), cluster.start("http", host.index)]);
    await cluster.undrain(host.index);
    await each(3);
  } finally {
    running = false;
    await Promise.all(done);
  }
  assert.deepEqual(failures, []);
  for (const l of loops) assert.ok(l.progress.ok >= 9, `${l.name}: ${l.progress.ok} requests`);
}
