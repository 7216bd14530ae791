/**
 * A TCP proxy on 127.0.0.1 for tests of what a client does when its
 * connection misbehaves: it forwards both ways, tells when a given byte
 * pattern passes from the client, can hold back what the server sends (a
 * stalled transfer), and can cut every connection at once (a server that
 * dropped them).
 *
 * @module
 */

/** A running proxy; dispose to stop it and close everything. */
export interface TcpProxy extends AsyncDisposable {
  /** The port clients connect to. */
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Resolves when the client side has sent bytes containing `text` (from now on). */
  sent(text: string): Promise<void>;
  /** Resolves once every connection has been closed by the server side. */
  serverClosedAll(): Promise<void>;
  /** From now on, nothing the server sends on the connections open now reaches the client. */
  hold(): void;
  /** Closes every connection (both sides), as a server that went away would. */
  cutAll(): void;
}

/** Starts a proxy to 127.0.0.1:`target`. */
export function startProxy(target: number): TcpProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const watchers: { text: string; seen: string; resolve: () => void }[] = [];
  let closedWaiters: (() => void)[] = [];
  let serverSides = 0;
  let accepted = 0;
  const held = new Set<Deno.Conn>();

  const pipe = async (from: Deno.Conn, to: Deno.Conn, fromClient: boolean) => {
    const buf = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await from.read(buf);
        if (n === null) break;
        if (fromClient) {
          const text = new TextDecoder("latin1").decode(buf.subarray(0, n));
          for (const w of [...watchers]) {
            w.seen = (w.seen + text).slice(-4096);
            if (w.seen.includes(w.text)) {
              watchers.splice(watchers.indexOf(w), 1);
              w.resolve();
            }
          }
        } else if (held.has(from)) {
          continue; // dropped: the client waits for bytes that never come
        }
        for (let at = 0; at < n;) at += await to.write(buf.subarray(at, n));
      }
    } catch { /* either side went away */ }
    for (const c of [from, to]) {
      try {
        c.close();
      } catch { /* closed already */ }
      open.delete(c);
    }
    if (!fromClient && --serverSides === 0) {
      closedWaiters.forEach((r) => r());
      closedWaiters = [];
    }
  };

  const loop = (async () => {
    for await (const client of listener) {
      accepted++;
      let server: Deno.Conn;
      try {
        server = await Deno.connect({ hostname: "127.0.0.1", port: target });
      } catch {
        client.close();
        continue;
      }
      open.add(client).add(server);
      serverSides++;
      pipe(client, server, true);
      pipe(server, client, false);
    }
  })().catch(() => {});

  return {
    port: (listener.addr as Deno.NetAddr).port,
    get accepted() {
      return accepted;
    },
    sent: (text) => new Promise((resolve) => watchers.push({ text, seen: "", resolve })),
    serverClosedAll: () =>
      serverSides === 0 ? Promise.resolve() : new Promise((resolve) => closedWaiters.push(resolve)),
    hold: () => open.forEach((c) => held.add(c)),
    cutAll() {
      for (const c of open) {
        try {
          c.close();
        } catch { /* closed already */ }
      }
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      this.cutAll();
      await loop;
    },
  };
}
