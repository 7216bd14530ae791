/// <reference lib="deno.worker" />
/**
 * Worker entry that checks passwords against their hashes (bcrypt,
 * SHA-crypt): the slow part of signing in, kept off every server's event
 * loop. One check at a time, in arrival order.
 *
 * @module
 */

import { verifyPassword } from "./password_hash.ts";
import type { KdfCommand, KdfResult } from "./kdf_pool.ts";

self.onmessage = async (e: MessageEvent<KdfCommand>) => {
  const { id, password, hash } = e.data;
  let ok = false;
  try {
    ok = await verifyPassword(password, hash);
  } catch {
    ok = false; // a hash the library refuses never matches
  }
  self.postMessage({ id, ok } satisfies KdfResult);
};
