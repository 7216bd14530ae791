/**
 * The accept loop of the file service (`netkit serve-files`, in-process and
 * in each Worker); `netkit http` accepts through `Deno.serve` instead. It
 * takes connections from a listener, enforces the connection limit, and runs
 * one handler per connection under the chosen server model:
 *
 * - `async`: one async task per connection (the default);
 * - `loop`: the iterative server, one client at a time, kept to show why
 *   concurrency matters.
 *
 * Shutdown is two-step: `close()` stops accepting and asks handlers to finish
 * (their `AbortSignal` fires, then `onStop` runs), then, after a grace period,
 * closes every connection still open.
 *
 * Per connection the loop keeps one entry in a set and one suspended task,
 * nothing more (no listener, no timer), so that many idle connections stay cheap.
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
  /**
   * Called when every slot is taken, before refusing a connection: may close
   * another connection to make room, and returns true to let the new one in
   * (past the limit until the closed one's slot is back). @default refuses
   */
  onFull?: () => boolean;
  /** Called when accepting fails for a reason other than closing. */
  onError?: (e: unknown) => void;
  /** Called after each handled connection has ended and been closed. */
  onClosed?: () => void;
  /**
   * Called once when `close()` begins, after the stop signal has fired: the
   * place to end handlers that are only waiting (one sweep over a registry of
   * them, rather than a listener on the signal per connection).
   */
  onStop?: () => void;
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
  // Handlers and busy replies in flight; `finished` waits for them to end.
  let running = 0;
  let accepting = true;
  let drained!: () => void;
  const allEnded = new Promise<void>((r) => drained = r);
  const ended = () => {
    if (--running === 0 && !accepting) drained();
  };

  const finish = (conn: C) => {
    conns.delete(conn);
    slots.release();
    try {
      conn.close();
    } catch { /* closed by the handler */ }
    try {
      options.onClosed?.();
    } finally {
      ended();
    }
  };

  // Not an async function: while a connection lasts, the loop keeps one
  // reaction on its handler's promise and no suspended frame of its own.
  const run = (conn: C): Promise<void> => {
    conns.add(conn);
    let task: Promise<void>;
    try {
      task = handler(conn, stopping.signal);
    } catch (e) {
      task = Promise.reject(e);
    }
    return task.then(() => finish(conn), (e) => {
      try {
        options.onError?.(e);
      } finally {
        finish(conn);
      }
    });
  };

  const busy = async (conn: C) => {
    try {
      await (options.onBusy ? options.onBusy(conn) : undefined);
    } catch { /* the client went away */ }
    try {
      conn.close();
    } catch { /* closed already */ }
    ended();
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
      running++;
      let admitted = slots.tryAcquire();
      if (!admitted && options.onFull?.()) {
        slots.take();
        admitted = true;
      }
      if (!admitted) busy(conn);
      else if (model === "loop") await run(conn);
      else run(conn);
    }
  })();

  const finished = (async () => {
    await loop;
    accepting = false;
    if (running === 0) drained();
    await allEnded;
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
        options.onStop?.();
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
