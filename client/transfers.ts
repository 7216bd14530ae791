/**
 * Download and upload as the command line and the prompt run them: a
 * progress line while bytes move, then the one-line report. One place, so
 * both front ends behave the same.
 *
 * @module
 */

import type { FileClient, TransferResult } from "./client.ts";
import { ProgressLine } from "../core/text/progress.ts";
import { toHex } from "../core/hash/hash.ts";
import { formatRate, formatSize } from "../core/text/format.ts";
import { printableName } from "../core/text/printable.ts";
import { NetkitError } from "../core/errors.ts";

/** Flags both transfers take. */
export interface TransferFlags {
  resume?: boolean;
  overwrite?: boolean;
  /** Downloads: flush to disk before renaming. */
  sync?: boolean;
  /** Draw a progress line. @default stderr is a terminal */
  progress?: boolean;
}

async function withProgress(
  label: string,
  progress: boolean | undefined,
  run: (bar: ProgressLine) => Promise<TransferResult>,
  report: (r: TransferResult, ms: number) => string,
): Promise<string> {
  const bar = new ProgressLine(printableName(label), { enabled: progress });
  const started = performance.now();
  try {
    const r = await run(bar);
    bar.done();
    return report(r, performance.now() - started);
  } finally {
    bar.done();
  }
}

/** Writes all of each chunk to standard output. */
const stdoutWriter = {
  async write(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) at += await Deno.stdout.write(bytes.subarray(at));
  },
};

/**
 * Downloads `name` to `dest` (`-` for standard output); resolves to the
 * report line.
 */
export function downloadWithProgress(
  client: FileClient,
  name: string,
  dest: string,
  flags: TransferFlags,
): Promise<string> {
  if (dest === "-" && flags.resume) {
    throw new NetkitError("INVALID_NAME", "--resume needs a file to continue, not '-'");
  }
  return withProgress(
    name,
    flags.progress,
    (bar) =>
      dest === "-"
        ? client.downloadTo(name, stdoutWriter, { onProgress: (p) => bar.update(p) })
        : client.download(name, dest, { ...flags, onProgress: (p) => bar.update(p) }),
    (r, ms) => describeTransfer("downloaded", name, dest === "-" ? "(stdout)" : dest, r, ms),
  );
}

/** Uploads the local `file` as `name`; resolves to the report line. */
export function uploadWithProgress(
  client: FileClient,
  file: string,
  name: string,
  flags: TransferFlags,
): Promise<string> {
  return withProgress(
    name,
    flags.progress,
    (bar) => client.upload(file, name, { ...flags, onProgress: (p) => bar.update(p) }),
    (r, ms) => describeTransfer("uploaded", file, name, r, ms),
  );
}

/** `downloaded a.txt -> ./a.txt: 1.0 MiB in 0.2s (5.0 MiB/s), xxh3-128 0123…` */
export function describeTransfer(
  verb: string,
  from: string,
  to: string,
  r: TransferResult,
  ms: number,
): string {
  const rate = formatRate(r.transferred, ms / 1000);
  const resumed = r.transferred < r.size
    ? `, resumed: ${formatSize(r.transferred)} sent`
    : r.restarted
    ? ", started over: the file had changed since the broken transfer"
    : "";
  return `${verb} ${printableName(from)} -> ${printableName(to)}: ${formatSize(r.size)} in ${
    (ms / 1000).toFixed(2)
  }s (${rate}${resumed}), verified ${r.hash} ${toHex(r.digest)}`;
}
