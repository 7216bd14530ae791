/**
 * The accept loop every netkit TCP server shares. It takes connections from a
 * listener, enforces the connection limit, and runs one handler per
 * connection under the chosen server model:
 *
 * - `async`: one async task per connection (the default);
 * - `loop`: the iterative server, one client at a time, kept to show why
 *   concurrency matters.
 *
 * Shutdown is two-step: `close()` stops accepting and asks handlers to finish
 * (through their `AbortSignal`), then, after a grace period, closes every
 * connection still open.
 *
 * @module
 */

import { type ConnectionSlots, SharedSlots } from "./conn_slots.ts";

/** How connections are served. */
export type ServerModel = "async" | "loop";

/** Handles one connection until it ends; `stopping` aborts on shutdown. */
export type ConnHandler<C extends Deno.Conn> = (
  conn: C,
  stopping: AbortSignal,
) => Promise<void>;

/** Options of {@linkcode startAcceptLoop}. */
export interface AcceptLoopOptions<C extends Deno.Conn> {
  /** The server model. @default "async" */
  model?: ServerModel;
  /** Connections handled at once. @default 1024 */
  maxConnections?: number;
  /**
   * Where the limit is kept: pass shared slots so several accept loops (one
   * per Worker) keep one limit. @default local slots of `maxConnections`
   */
  slots?: ConnectionSlots;
  /** Called for a connection over the limit; must close it. @default closes it */
  onBusy?: (conn: C) => Promise<void> | void;
  /** Called when accepting fails for a reason other than closing. */
  onError?: (e: unknown) => void;
  /** Called after each handled connection has ended and been closed. */
  onClosed?: () => void;
}

/** A running accept loop. */
export interface AcceptLoop {
  /** Connections being handled now. */
  readonly active: number;
  /** Resolves when the loop and every handler have ended. */
  readonly finished: Promise<void>;
  /**
   * Stops accepting, asks handlers to finish, and force-closes what is left
   * after `graceMs`. Safe to call more than once.
   */
  close(graceMs: number): Promise<void>;
}

/** Starts serving `listener` with `handler`. */
export function startAcceptLoop<C extends Deno.Conn>(
  listener: Deno.Listener<C>,
  handler: ConnHandler<C>,
  options: AcceptLoopOptions<C> = {},
): AcceptLoop {
  const model = options.model ?? "async";
  const slots = options.slots ?? new SharedSlots(options.maxConnections ?? 1024);
  const stopping = new AbortController();
  const conns = new Set<C>();
  const tasks = new Set<Promise<void>>();

  const run = async (conn: C) => {
    conns.add(conn);
    try {
      await handler(conn, stopping.signal);
    } catch (e) {
      options.onError?.(e);
    } finally {
      conns.delete(conn);
      slots.release();
      try {
        conn.close();
      } catch { /* closed by the handler */ }
      options.onClosed?.();
    }
  };

  const busy = async (conn: C) => {
    try {
      await (options.onBusy ? options.onBusy(conn) : undefined);
    } catch { /* the client went away */ }
    try {
      conn.close();
    } catch { /* closed already */ }
  };

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let conn: C;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (stopping.signal.aborted || e instanceof Deno.errors.BadResource) {
          break;
        }
        options.onError?.(e);
        // e.g. EMFILE: keep serving the clients we have, and retry in a moment.
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      if (!slots.tryAcquire()) {
        const t = busy(conn);
        tasks.add(t);
        t.finally(() => tasks.delete(t));
      } else if (model === "loop") {
        await run(conn);
      } else {
        const t = run(conn);
        tasks.add(t);
        t.finally(() => tasks.delete(t));
      }
    }
  })();

  const finished = (async () => {
    await loop;
    while (tasks.size > 0) await Promise.allSettled([...tasks]);
  })();

  let closing: Promise<void> | undefined;
  return {
    get active() {
      return conns.size;
    },
    finished,
    close(graceMs: number) {
      closing ??= (async () => {
        stopping.abort();
        try {
          listener.close();
        } catch { /* closed already */ }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const grace = new Promise<void>((r) => timer = setTimeout(r, graceMs));
        await Promise.race([finished, grace]);
        clearTimeout(timer);
        for (const c of conns) {
          try {
            c.close();
          } catch { /* closed meanwhile */ }
        }
        await finished;
      })();
      return closing;
    },
  };
}
