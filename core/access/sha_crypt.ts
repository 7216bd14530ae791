/**
 * SHA-256-crypt and SHA-512-crypt (`$5$`, `$6$`, Ulrich Drepper's
 * "Unix crypt using SHA-256 and SHA-512"), as `htpasswd -2`/`-5`,
 * `openssl passwd -5`/`-6` and glibc's `crypt` write them. CPU-bound: run it
 * in the KDF Worker, never on a server's event loop.
 *
 * @module
 */

import { createHash } from "node:crypto";

const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** The default number of rounds, when the hash names none. */
export const DEFAULT_ROUNDS = 5000;

// Which digest bytes make each group of four characters (Drepper's order).
const ORDER_256 = [
  [0, 10, 20],
  [21, 1, 11],
  [12, 22, 2],
  [3, 13, 23],
  [24, 4, 14],
  [15, 25, 5],
  [6, 16, 26],
  [27, 7, 17],
  [18, 28, 8],
  [9, 19, 29],
];
const ORDER_512 = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
];

function b64(w: number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++, w >>= 6) s += ITOA64[w & 0x3f];
  return s;
}

function repeatTo(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = bytes[i % bytes.length];
  return out;
}

/** The parts of a `$5$`/`$6$` hash. */
export interface ShaCryptParams {
  algorithm: "sha256" | "sha512";
  /** Rounds, clamped to 1000..999999999 as the specification says. */
  rounds: number;
  /** True when the hash spells `rounds=` (it is then part of the output). */
  explicitRounds: boolean;
  salt: string;
}

/** Parses the prefix, rounds and salt of a SHA-crypt hash; null when it is not one. */
export function parseShaCrypt(hash: string): ShaCryptParams | null {
  const m = /^\$([56])\$(?:rounds=(\d{1,10})\$)?([^$]*)/.exec(hash);
  if (!m) return null;
  const rounds = m[2] === undefined
    ? DEFAULT_ROUNDS
    : Math.min(999_999_999, Math.max(1000, Number(m[2])));
  return {
    algorithm: m[1] === "5" ? "sha256" : "sha512",
    rounds,
    explicitRounds: m[2] !== undefined,
    salt: m[3].slice(0, 16),
  };
}

/** Computes the full SHA-crypt string of `password` with `params`. */
export function shaCrypt(password: Uint8Array, params: ShaCryptParams): string {
  const { algorithm, rounds } = params;
  const size = algorithm === "sha256" ? 32 : 64;
  const salt = new TextEncoder().encode(params.salt);
  const h = () => createHash(algorithm);
  const p = password;
  const b = h().update(p).update(salt).update(p).digest();
  const a = h().update(p).update(salt);
  let n = p.length;
  for (; n > size; n -= size) a.update(b);
  a.update(b.subarray(0, n));
  for (let i = p.length; i > 0; i >>= 1) a.update(i & 1 ? b : p);
  let c: Uint8Array = a.digest();
  const dp = h();
  for (let i = 0; i < p.length; i++) dp.update(p);
  const pSeq = repeatTo(dp.digest(), p.length);
  const ds = h();
  for (let i = 0; i < 16 + c[0]; i++) ds.update(salt);
  const sSeq = repeatTo(ds.digest(), salt.length);
  for (let i = 0; i < rounds; i++) {
    const x = h();
    x.update(i & 1 ? pSeq : c);
    if (i % 3) x.update(sSeq);
    if (i % 7) x.update(pSeq);
    x.update(i & 1 ? c : pSeq);
    c = x.digest();
  }
  let out = "";
  for (const [x, y, z] of algorithm === "sha256" ? ORDER_256 : ORDER_512) {
    out += b64((c[x] << 16) | (c[y] << 8) | c[z], 4);
  }
  out += algorithm === "sha256" ? b64((c[31] << 8) | c[30], 3) : b64(c[63], 2);
  const head = `$${algorithm === "sha256" ? 5 : 6}$` +
    (params.explicitRounds ? `rounds=${rounds}$` : "");
  return `${head}${params.salt}$${out}`;
}
