import assert from "node:assert/strict";
import { credentialKeys } from "../core/access/credential_key.ts";

Deno.test("credential keys: stable in a process, random across, never the credential", async () => {
  const keys = await credentialKeys();
  const other = await credentialKeys();
  const spelling = "Basic " + btoa("alice:correct horse");
  assert.equal(keys(spelling), keys(spelling));
  assert.match(keys(spelling), /^[0-9a-f]{32}$/);
  assert.notEqual(keys(spelling), other(spelling), "each key function has its own random key");
  assert.ok(!keys(spelling).includes(btoa("alice")));
  // Near spellings get unrelated keys; the empty one and very long ones work.
  const seen = new Set<string>();
  for (const s of ["", "a", "b", spelling, spelling + " ", "x".repeat(100_000), "\u{1F600}"]) {
    seen.add(keys(s));
  }
  assert.equal(seen.size, 7);
});
