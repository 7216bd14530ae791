/**
 * Connections that have not completed the handshake yet, in the order they
 * came (as OpenSSH's MaxStartups counts them): each must send its greeting
 * within a deadline, and there may be only so many at once. When a new connection
 * finds the table full, the oldest one is closed to make room, so a flood
 * of silent sockets can delay an honest client by one handshake at most,
 * never lock it out: the newest connection is the last to go.
 *
 * @module
 */

/** A connection as the table sees it. */
export interface Pending {
  /** `performance.now()` when it was accepted. */
  readonly startedAt: number;
  /**
   * True once its greeting has arrived: the rest of the handshake (a token
   * check, which may wait out a failure throttle) is the server's time, so
   * the deadline no longer applies; it can still be evicted.
   */
  readonly heard: boolean;
  /** Closes the connection; its handler then ends. */
  close(): void;
}

/** What was closed, for the log. */
export interface HandshakeStats {
  /** Closed for not sending the greeting within the deadline. */
  late: number;
  /** Closed to make room for a newer connection. */
  evicted: number;
}

/** The connections of one accept loop (one Worker) still in their handshake. */
export class Handshakes {
  readonly #pending = new Set<Pending>();
  readonly #max: number;
  readonly #deadlineMs: number;
  #stats: HandshakeStats = { late: 0, evicted: 0 };

  /**
   * @param max connections at once in their handshake
   * @param deadlineMs how long a connection may take to send its greeting, ms
   */
  constructor(max: number, deadlineMs: number) {
    this.#max = max;
    this.#deadlineMs = deadlineMs;
  }

  /** Connections in their handshake now. */
  get size(): number {
    return this.#pending.size;
  }

  /** Takes in a new connection, closing the oldest ones while the table is full. */
  add(c: Pending): void {
    while (this.#pending.size >= this.#max) this.#evictOldest();
    this.#pending.add(c);
  }

  /** The connection completed its handshake, or ended. */
  done(c: Pending): void {
    this.#pending.delete(c);
  }

  /**
   * Closes the oldest connection still in its handshake, to make room for a
   * new one when every connection slot is taken.
   *
   * @returns false when there was none
   */
  evictOldest(): boolean {
    if (this.#pending.size === 0) return false;
    this.#evictOldest();
    return true;
  }

  #evictOldest(): void {
    const oldest = this.#pending.values().next().value!;
    this.#pending.delete(oldest);
    this.#stats.evicted++;
    oldest.close();
  }

  /** Closes every connection whose greeting is not in by the deadline at `now`. */
  expire(now: number): void {
    const since = now - this.#deadlineMs;
    // In arrival order: stop at the first one still within its time.
    for (const c of this.#pending) {
      if (c.startedAt >= since) break;
      if (c.heard) continue;
      this.#pending.delete(c);
      this.#stats.late++;
      c.close();
    }
  }

  /** What was closed since the last call. */
  takeStats(): HandshakeStats {
    const s = this.#stats;
    this.#stats = { late: 0, evicted: 0 };
    return s;
  }
}
