/// <reference lib="deno.worker" />
/**
 * Worker entry that hashes files on another core. A job names a file and an
 * algorithm; the main thread tells it how many bytes are ready (`advance`:
 * the file may still be growing, as an upload or download is written) and
 * the final length (`finish`). The Worker reads the file itself, from the
 * page cache, so no file bytes cross between threads.
 *
 * @module
 */

import { createHasher } from "./hash.ts";
import { isVersion } from "../file_version.ts";
import type { HashJobCommand, HashJobEvent } from "./hash_pool.ts";

interface Job {
  file: Deno.FsFile | null;
  ready: number;
  final: number | null;
  wake: (() => void) | null;
  cancelled: boolean;
}

const jobs = new Map<number, Job>();
const BUF = 1 << 20;

function post(e: HashJobEvent): void {
  self.postMessage(e);
}

async function run(id: number, job: Job, hash: Parameters<typeof createHasher>[0]): Promise<void> {
  const hasher = await createHasher(hash);
  const buf = new Uint8Array(BUF);
  let done = 0;
  while (!job.cancelled) {
    if (job.final !== null && done >= job.final) break;
    if (done >= job.ready) {
      await new Promise<void>((r) => job.wake = r);
      job.wake = null;
      continue;
    }
    const want = Math.min(BUF, job.ready - done);
    const n = await job.file!.read(buf.subarray(0, want));
    if (n === null) throw new Error(`file ended at ${done} of ${job.ready} bytes`);
    hasher.update(buf.subarray(0, n));
    done += n;
  }
  if (!job.cancelled) post({ type: "digest", id, digest: hasher.digest() });
}

self.onmessage = async (e: MessageEvent<HashJobCommand>) => {
  const cmd = e.data;
  if (cmd.type === "start") {
    // Registered before any await, so advance/finish messages that arrive
    // while the file opens are not lost.
    const job: Job = {
      file: null,
      ready: cmd.ready,
      final: cmd.final,
      wake: null,
      cancelled: false,
    };
    jobs.set(cmd.id, job);
    try {
      job.file = await Deno.open(cmd.path, { read: true });
      if (cmd.expect) {
        if (!isVersion(cmd.expect, await job.file.stat())) {
          throw new Error("the file was replaced before it could be hashed");
        }
      }
      await run(cmd.id, job, cmd.hash);
    } catch (err) {
      post({ type: "error", id: cmd.id, message: (err as Error).message });
    } finally {
      jobs.delete(cmd.id);
      job.file?.close();
    }
    return;
  }
  const job = jobs.get(cmd.id);
  if (!job) return;
  if (cmd.type === "advance") job.ready = Math.max(job.ready, cmd.ready);
  else if (cmd.type === "finish") job.final = job.ready = cmd.final;
  else job.cancelled = true;
  job.wake?.();
};
