// The access log loses no line when the server stops while a batch is being
// written (found by running the suite beside stress-ng: the CLI's 404 line
// was missing from its log after SIGTERM).
import assert from "node:assert/strict";
import { AccessLog, basicUser } from "../http/access_log.ts";

/** A writer whose writes finish only when the test says so. */
function slowWriter() {
  const written: string[] = [];
  const pending: (() => void)[] = [];
  return {
    written,
    release: () => pending.splice(0).forEach((r) => r()),
    write(p: Uint8Array): Promise<number> {
      written.push(new TextDecoder().decode(p));
      return new Promise((resolve) => pending.push(() => resolve(p.length)));
    },
  };
}

Deno.test("access log: flush waits for the write under way and the lines queued meanwhile", async () => {
  const w = slowWriter();
  const log = new AccessLog(w);
  log.log("first");
  log.flush(); // the batch with "first" is being written
  log.log("second"); // comes in meanwhile
  let done = false;
  const flushed = log.flush().then(() => done = true);
  w.release();
  // "second" goes out in a batch of its own; the flush waits for it too.
  for (let i = 0; i < 100 && w.written.length < 2; i++) await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(w.written, ["first\n", "second\n"]);
  assert.equal(done, false, "flush resolved before the second batch was written");
  w.release();
  await flushed;
  assert.equal(done, true);
});

Deno.test("access log: the user of Basic credentials, whatever the client sends", () => {
  const basic = (s: string) => "Basic " + btoa(String.fromCharCode(...new TextEncoder().encode(s)));
  assert.equal(basicUser(basic("alice:pw")), "alice");
  assert.equal(basicUser("bAsIc " + btoa("bob:x:y")), "bob", "the scheme is case-insensitive");
  assert.equal(basicUser(basic("jörg:pässword")), "jörg", "UTF-8 names decode");
  assert.equal(basicUser(basic("\u{1F600}:pw")), "\u{1F600}");
  assert.equal(basicUser(basic(":pw")), null, "no user");
  assert.equal(basicUser(basic("nocolon")), null);
  assert.equal(basicUser("Basic %%%not-base64"), null);
  assert.equal(basicUser("Bearer abc"), null);
  assert.equal(basicUser(null), null);
  // Bytes that are not UTF-8 do not throw: they decode to replacement characters.
  assert.equal(basicUser("Basic " + btoa("\xff\xfe:pw")), "\uFFFD\uFFFD");
});
