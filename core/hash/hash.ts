/**
 * The checksums that verify every transfer end to end. XXH3-128 (WebAssembly,
 * several GB/s) is the default: a 128-bit hash built to detect corruption,
 * fast enough that verification costs little throughput. SHA-256 is offered
 * for peers that want a cryptographic digest. The file protocol names the
 * algorithm in WELCOME, so both ends always agree.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** Algorithms this build can verify with, preferred first. */
export const SUPPORTED_HASHES = ["xxh3-128", "sha256"] as const;

/** One of {@linkcode SUPPORTED_HASHES}. */
export type HashName = typeof SUPPORTED_HASHES[number];

/** An incremental hash. */
export interface Hasher {
  /** Feeds bytes; the caller may reuse `bytes` after the call returns. */
  update(bytes: Uint8Array): void;
  /** The digest of everything fed so far; the hasher is spent afterwards. */
  digest(): Uint8Array;
}

/** True when `name` is a supported algorithm. */
export function isHashName(name: string): name is HashName {
  return (SUPPORTED_HASHES as readonly string[]).includes(name);
}

/** Creates a fresh incremental hasher. */
export async function createHasher(name: HashName): Promise<Hasher> {
  if (name === "sha256") {
    const h = createHash("sha256");
    return {
      update: (b) => void h.update(b),
      digest: () => new Uint8Array(h.digest()),
    };
  }
  const h = idleXxh.pop() ?? await newXxh();
  h.init();
  let spent = false;
  return {
    update: (b) => void h.update(b),
    digest: () => {
      const d = h.digest("binary");
      // Instantiating the WebAssembly module costs more than hashing a small file: reuse it.
      if (!spent && idleXxh.length < MAX_IDLE_XXH) idleXxh.push(h);
      spent = true;
      return d;
    },
  };
}

type Xxh = Awaited<ReturnType<typeof import("hash-wasm")["createXXHash128"]>>;
const MAX_IDLE_XXH = 64;
const idleXxh: Xxh[] = [];

async function newXxh(): Promise<Xxh> {
  // Loaded on first use: start-up time that --help and ls need not pay.
  const { createXXHash128 } = await import("hash-wasm");
  return await createXXHash128();
}

/** Lower-case hex of a digest, for logs and `--json` output. */
export function toHex(digest: Uint8Array): string {
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Constant-time equality of two byte strings (also used for tokens). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
