/**
 * Worker entry for {@linkcode CompressCache}: reads a jail-checked file,
 * compresses it and posts the bytes back, keeping that CPU work off the
 * isolate that answers requests. Replies `bytes: null` when the file is not
 * the version asked for (the main thread then serves it uncompressed) or fails.
 *
 * @module
 */

import { compressBytes, type CompressJob } from "./compress.ts";
import { readAll } from "./file_cache.ts";
import { isVersion } from "../core/file_version.ts";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<CompressJob>) => void) | null;
  postMessage(msg: unknown, transfer?: Transferable[]): void;
};

scope.onmessage = async (e: MessageEvent<CompressJob>) => {
  const job = e.data;
  let bytes: Uint8Array | null = null;
  try {
    using file = await Deno.open(job.path, { read: true });
    const before = await file.stat();
    if (isVersion(job.version, before)) {
      const data = await readAll(file, job.version.size);
      if (isVersion(job.version, await file.stat())) {
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
