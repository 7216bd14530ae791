/**
 * Password hashes as htpasswd files hold them: which are accepted (bcrypt
 * `$2y$`/`$2b$`/`$2a$` from `htpasswd -B`, SHA-256/512-crypt `$5$`/`$6$`
 * from `htpasswd -2`/`-5`), which are refused and why (plain text, DES
 * crypt, Apache MD5 `$apr1$`, MD5-crypt `$1$`, `{SHA}`: each is fast to
 * guess), and the check itself. bcrypt comes from hash-wasm (WebAssembly,
 * already netkit's hash library), SHA-crypt from `sha_crypt.ts`. The check
 * is CPU-bound on purpose: servers run it in the KDF Worker
 * (`kdf_pool.ts`).
 *
 * @module
 */

import { bcryptVerify } from "hash-wasm";
import { parseShaCrypt, shaCrypt } from "./sha_crypt.ts";
import { bytesEqual } from "../hash/hash.ts";

const encoder = new TextEncoder();

/** An accepted hash: its scheme and its work factor. */
export interface PasswordHash {
  scheme: "bcrypt" | "sha256-crypt" | "sha512-crypt";
  /** bcrypt's cost, or SHA-crypt's rounds: equal work means equal factor. */
  cost: number;
  /** The hash as written. */
  text: string;
}

/** Highest bcrypt cost accepted (htpasswd's own limit): a higher one would stall sign-in. */
export const MAX_BCRYPT_COST = 17;
/** Most SHA-crypt rounds accepted, for the same reason. */
export const MAX_SHA_ROUNDS = 1_000_000;

/**
 * Classifies `text`.
 *
 * @returns the accepted hash, or a string saying why it is refused
 */
export function parsePasswordHash(text: string): PasswordHash | string {
  const bcrypt = /^\$2([aby])\$(\d\d)\$[./A-Za-z0-9]{53}$/.exec(text);
  if (bcrypt) {
    const cost = Number(bcrypt[2]);
    if (cost < 4 || cost > MAX_BCRYPT_COST) {
      return `bcrypt cost ${cost} is outside 4..${MAX_BCRYPT_COST}`;
    }
    return { scheme: "bcrypt", cost, text };
  }
  if (text.startsWith("$2x$")) return "a $2x$ bcrypt hash (from a buggy implementation)";
  const sha = parseShaCrypt(text);
  if (sha && /^\$[56]\$(rounds=\d+\$)?[^$]{0,16}\$[./0-9A-Za-z]+$/.test(text)) {
    const want = sha.algorithm === "sha256" ? 43 : 86;
    if (text.slice(text.lastIndexOf("$") + 1).length !== want) return "a truncated SHA-crypt hash";
    if (sha.rounds > MAX_SHA_ROUNDS) return `${sha.rounds} rounds is more than ${MAX_SHA_ROUNDS}`;
    return {
      scheme: sha.algorithm === "sha256" ? "sha256-crypt" : "sha512-crypt",
      cost: sha.rounds,
      text,
    };
  }
  if (text.startsWith("$apr1$")) return "an Apache MD5 hash ($apr1$, htpasswd -m): use htpasswd -B";
  if (text.startsWith("$1$")) return "an MD5-crypt hash ($1$): use htpasswd -B";
  if (text.startsWith("{SHA}")) {
    return "an unsalted SHA-1 hash ({SHA}, htpasswd -s): use htpasswd -B";
  }
  if (/^[./0-9A-Za-z]{13}$/.test(text)) return "a DES crypt hash (htpasswd -d): use htpasswd -B";
  if (text.startsWith("$")) return "an unknown hash scheme: use htpasswd -B";
  return "a plain-text password (htpasswd -p): use htpasswd -B";
}

/** bcrypt reads at most 72 bytes of a password, as Apache's does. */
const BCRYPT_MAX_BYTES = 72;

/** True when `password` matches `hash`. Slow by design. */
export async function verifyPassword(password: Uint8Array, hash: PasswordHash): Promise<boolean> {
  if (password.length === 0) return false;
  if (hash.scheme === "bcrypt") {
    return await bcryptVerify({
      password: password.subarray(0, BCRYPT_MAX_BYTES),
      hash: hash.text,
    });
  }
  const params = parseShaCrypt(hash.text)!;
  return bytesEqual(encoder.encode(shaCrypt(password, params)), encoder.encode(hash.text));
}
