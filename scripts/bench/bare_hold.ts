/**
 * The reference for idle-connection memory: a bare Deno server that answers
 * netkit's handshake with a canned WELCOME and then holds each connection
 * with one pending 16-byte read, and nothing else (no session, no
 * watchdog). netkit's per-connection memory is measured against it.
 *
 * Usage: deno run -A --unstable-net scripts/bench/bare_hold.ts
 *   (prints "bare_hold: listening on 127.0.0.1:PORT" on stderr)
 *
 * @module
 */

import { encodeMessage } from "../../protocol/file/messages.ts";

const WELCOME = encodeMessage({
  type: "WELCOME",
  version: 1,
  features: 7,
  maxFrame: 1 << 20,
  maxUpload: 1 << 30,
  idleTimeoutMs: 600_000,
  hash: "xxh3-128",
  server: "bare",
});

async function hold(conn: Deno.Conn): Promise<void> {
  try {
    let at = 0;
    while (at < WELCOME.length) at += await conn.write(WELCOME.subarray(at));
    const buf = new Uint8Array(16);
    // Drain the HELLO 16 bytes at a time; then one read stays pending until the peer leaves.
    while ((await conn.read(buf)) !== null) { /* keep reading */ }
  } catch {
    /* the peer went away */
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

if (import.meta.main) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.error(`bare_hold: listening on 127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
  for await (const conn of listener) hold(conn);
}
