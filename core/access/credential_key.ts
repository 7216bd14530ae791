/**
 * The cache key of a credential as a client spelled it (an HTTP
 * `Authorization` value, a token): a keyed BLAKE3 hash under a random key
 * made for this process, so a cache of sign-in verdicts never holds a
 * credential, and nobody without the key can make two spellings collide.
 * BLAKE3 in WebAssembly (`hash-wasm`, already netkit's) costs a signed-in
 * request about half what `node:crypto`'s SHA-256 did.
 *
 * @module
 */

import type { IHasher } from "hash-wasm";

/** Makes cache keys of credentials; see the module doc. */
export type CredentialKeys = (spelling: string) => string;

/** A key function with a fresh random key (hash-wasm is loaded on first use). */
export async function credentialKeys(): Promise<CredentialKeys> {
  const { createBLAKE3 } = await import("hash-wasm");
  // 128 bits: a keyed hash needs no more against forgery, and half the hex is half the cost.
  const hasher: IHasher = await createBLAKE3(128, crypto.getRandomValues(new Uint8Array(32)));
  return (spelling) => {
    hasher.init();
    hasher.update(spelling);
    return hasher.digest("hex");
  };
}
