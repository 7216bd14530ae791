/**
 * Worker entry for {@linkcode CompressCache}: reads a jail-checked file,
 * compresses it and posts the bytes back, keeping that CPU work off the
 * isolate that answers requests. Replies `bytes: null` when the file changed
 * size or mtime (the main thread then serves it uncompressed) or fails.
 *
 * @module
 */

import { compressBytes, type Encoding } from "./compress.ts";

interface Job {
  key: string;
  path: string;
  size: number;
  mtimeMs: number | null;
  encoding: Encoding;
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<Job>) => void) | null;
  postMessage(msg: unknown, transfer?: Transferable[]): void;
};

scope.onmessage = async (e: MessageEvent<Job>) => {
  const job = e.data;
  let bytes: Uint8Array | null = null;
  try {
    using file = await Deno.open(job.path, { read: true });
    const before = await file.stat();
    const same = (i: Deno.FileInfo) =>
      i.size === job.size && (i.mtime?.getTime() ?? null) === job.mtimeMs;
    if (same(before)) {
      const data = new Uint8Array(job.size);
      let n = 0;
      while (n < data.length) {
        const r = await file.read(data.subarray(n));
        if (r === null) break;
        n += r;
      }
      if (n === job.size && same(await file.stat())) {
        bytes = compressBytes(data, job.encoding);
      }
    }
  } catch {
    bytes = null;
  }
  scope.postMessage(
    { key: job.key, bytes },
    bytes ? [bytes.buffer as ArrayBuffer] : [],
  );
};
