/**
 * A connection wrapper that remembers when it last moved a byte, so one
 * watchdog timer can drop every connection that has gone silent (idle
 * clients, slow-loris senders, peers that stopped reading).
 *
 * @module
 */

/** A connection that remembers when it last moved a byte, for the idle watchdog. */
export class TrackedConn {
  readonly conn: Deno.Conn;
  /** `performance.now()` of the last completed read or write. */
  lastActive = performance.now();

  constructor(conn: Deno.Conn) {
    this.conn = conn;
  }
  async read(p: Uint8Array): Promise<number | null> {
    const n = await this.conn.read(p);
    this.lastActive = performance.now();
    return n;
  }
  async write(p: Uint8Array): Promise<number> {
    const n = await this.conn.write(p);
    this.lastActive = performance.now();
    return n;
  }
  close(): void {
    try {
      this.conn.close();
    } catch { /* closed already */ }
  }
}
