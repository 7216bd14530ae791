/**
 * Helpers for the cluster tests: whether a cluster can be made here, and
 * clients of the file protocol and of HTTP that move bytes (not files)
 * through one host or one balancer.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { FileClient, type TransferResult } from "../client/client.ts";
import type { HashName } from "../core/hash/hash.ts";
import type { TempDir } from "./temp_dir.ts";

/** Where a client connects: a host's address, or a balancer on the loopback. */
export interface Endpoint {
  hostname: string;
  port: number;
}

/** `n` random bytes (any size: filled 64 KiB at a time). */
export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, at + 65536));
  return out;
}

/** A name for this run's cluster (1 to 8 characters), so parallel runs never meet. */
export function runName(): string {
  return `t${Deno.pid % 10_000_000}`;
}

/** Connects a file-protocol client. */
export function connectFiles(
  to: Endpoint,
  token: string,
  options: { hashes?: HashName[]; signal?: AbortSignal } = {},
): Promise<FileClient> {
  return FileClient.connect({ ...to, token, timeoutMs: 30_000, ...options });
}

/** Byte-level transfers over one file-protocol client, through local temp files. */
export class Bytes implements AsyncDisposable {
  constructor(readonly client: FileClient, readonly local: TempDir) {}

  /** Closes the client. */
  [Symbol.asyncDispose](): Promise<void> {
    this.client.close();
    return Promise.resolve();
  }

  /** Uploads `data` as `name`. */
  async put(
    name: string,
    data: Uint8Array,
    options: {
      overwrite?: boolean;
      resume?: boolean;
      onProgress?: (done: number) => void;
      /** The local file's modification time: a resume goes on only from the same version. */
      mtime?: Date;
    } = {},
  ): Promise<TransferResult> {
    const path = this.local.join(`up-${crypto.randomUUID()}`);
    await Deno.writeFile(path, data);
    if (options.mtime) await Deno.utime(path, options.mtime, options.mtime);
    try {
      return await this.client.upload(path, name, {
        overwrite: options.overwrite,
        resume: options.resume,
        onProgress: options.onProgress && ((p) => options.onProgress!(p.done)),
      });
    } finally {
      await Deno.remove(path).catch(() => {});
    }
  }

  /** Downloads `name`, verified end to end by the client. */
  async get(name: string): Promise<Uint8Array> {
    const path = this.local.join(`down-${crypto.randomUUID()}`);
    try {
      await this.client.download(name, path);
      return await Deno.readFile(path);
    } finally {
      await Deno.remove(path).catch(() => {});
    }
  }
}

/** An HTTP answer, read whole. */
export interface HttpAnswer {
  status: number;
  etag: string | null;
  body: Uint8Array;
}

/**
 * The HTTP client of the cluster tests: no idle connection is kept, so a
 * host being drained from a balancer sees its connections end.
 */
const unpooled = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });

/** GETs `url` and reads the whole body. */
export async function httpGet(url: string, token?: string): Promise<HttpAnswer> {
  const res = await fetch(url, {
    client: unpooled,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(30_000),
  });
  const body = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, etag: res.headers.get("etag"), body };
}

/** PUTs `body` to `url` with the bearer `token`; returns the status. */
export async function httpPut(
  url: string,
  body: Uint8Array<ArrayBuffer>,
  token: string,
): Promise<number> {
  const res = await fetch(url, {
    client: unpooled,
    method: "PUT",
    body,
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(30_000),
  });
  await res.body?.cancel();
  return res.status;
}

/** A short name for a content (its SHA-256), to tell versions apart. */
export function fingerprint(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex").slice(0, 16);
}
