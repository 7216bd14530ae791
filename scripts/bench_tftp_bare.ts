/**
 * The floor for the TFTP benchmark (issue 6): the least a Deno program must
 * do to serve a TFTP download, so netkit's server can be measured against
 * Deno itself and not only against tftpd-hpa.
 *
 * The server reads every file of a folder into memory at start, then for
 * each RRQ opens a fresh UDP socket (a new transfer ID, as RFC 1350 wants
 * and as curl expects), answers `blksize` and `windowsize` with an OACK,
 * waits for ACK 0 and sends DATA from memory: one block per ACK (lock-step)
 * or `windowsize` blocks per ACK. There is no jail, no file read, no timer
 * per packet: a watchdog ticking every 250 ms resends the unacknowledged
 * blocks when nothing moved and gives up after 20 quiet ticks. Requests are
 * served one at a time; that is all the benchmark needs.
 *
 * The client is the same minimum on the other side: RRQ with `blksize` and
 * `windowsize`, an ACK for every `windowsize` blocks and for the last one,
 * payloads discarded. It prints `{"ms":..,"bytes":..}` timed from the RRQ to
 * the final ACK, like netkit's client role in bench_tftp.ts.
 *
 *   deno run -A --unstable-net scripts/bench_tftp_bare.ts serve DIR PORT
 *   deno run -A --unstable-net scripts/bench_tftp_bare.ts get PORT NAME BLKSIZE WINDOWSIZE
 *
 * Talks to 127.0.0.1 only. Not part of netkit.
 *
 * @module
 */

const HOST = "127.0.0.1";
const TICK_MS = 250;
const QUIET_TICKS = 20;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Splits the NUL-terminated strings after a 2-byte opcode. */
function strings(b: Uint8Array): string[] {
  const out: string[] = [];
  let at = 2;
  for (let i = 0; i < 64 && at < b.length; i++) {
    let end = b.indexOf(0, at);
    if (end < 0) end = b.length;
    out.push(dec.decode(b.subarray(at, end)));
    at = end + 1;
  }
  return out;
}

function packet(op: number, parts: string[]): Uint8Array {
  const body = enc.encode(parts.map((p) => p + "\0").join(""));
  const out = new Uint8Array(2 + body.length);
  out[1] = op;
  out.set(body, 2);
  return out;
}

/** Calls `onQuiet` when `progress()` was not called for a tick; closes after too many. */
function watchdog(conn: Deno.DatagramConn, onQuiet: () => void) {
  let moved = true;
  let quiet = 0;
  const id = setInterval(() => {
    if (moved) {
      moved = false;
      quiet = 0;
      return;
    }
    if (++quiet > QUIET_TICKS) {
      clearInterval(id);
      conn.close(); // ends the pending receive
      return;
    }
    onQuiet();
  }, TICK_MS);
  return {
    progress: () => moved = true,
    stop: () => clearInterval(id),
  };
}

async function transfer(
  data: Uint8Array,
  to: Deno.NetAddr,
  blksize: number,
  window: number,
  oack: Uint8Array | null,
): Promise<void> {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: HOST, port: 0 });
  const ack = new Uint8Array(65536 + 1);
  const blocks = Math.floor(data.length / blksize) + 1; // the last one short, maybe empty
  // One packet buffer per block in flight: a posted send reads it later.
  const bufs = Array.from({ length: window }, () => new Uint8Array(4 + blksize));
  const pkts: Uint8Array[] = new Array(window);
  let base = 1; // oldest unacknowledged block
  const fill = (n: number): Uint8Array => {
    const i = (n - 1) % window;
    const p = bufs[i];
    const from = (n - 1) * blksize;
    const len = Math.min(blksize, data.length - from);
    p[1] = 3;
    p[2] = (n >> 8) & 0xff;
    p[3] = n & 0xff;
    p.set(data.subarray(from, from + len), 4);
    return pkts[i] = p.subarray(0, 4 + len);
  };
  const resend = () => {
    if (base === 0) conn.send(oack!, to).catch(() => {});
    else {
      for (let n = base; n < base + window && n <= blocks; n++) {
        conn.send(pkts[(n - 1) % window], to).catch(() => {});
      }
    }
  };
  const dog = watchdog(conn, resend);
  try {
    if (oack) {
      base = 0;
      await conn.send(oack, to);
      for (;;) {
        const [b] = await conn.receive(ack);
        if (b[1] === 4 && b[2] === 0 && b[3] === 0) break;
        if (b[1] === 5) return;
      }
      base = 1;
      dog.progress();
    }
    let next = 1; // next block to send
    while (base <= blocks) {
      for (; next < base + window && next <= blocks; next++) {
        conn.send(fill(next), to).catch(() => {});
      }
      const [b] = await conn.receive(ack);
      if (b[1] === 5) return; // ERROR from the client
      if (b[1] !== 4) continue;
      const got = (b[2] << 8) | b[3];
      const acked = (got - base + 1 + 0x10000) % 0x10000; // blocks this ACK covers
      if (acked === 0 || acked > next - base) continue;
      base += acked;
      next = base; // a short ACK resends from the gap
      dog.progress();
    }
  } catch {
    // closed by the watchdog: the client went away
  } finally {
    dog.stop();
    close(conn);
  }
}

function close(conn: Deno.DatagramConn): void {
  try {
    conn.close();
  } catch { /* closed by the watchdog */ }
}

async function serve(dir: string, port: number): Promise<void> {
  const files = new Map<string, Uint8Array>();
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile) files.set(e.name, Deno.readFileSync(`${dir}/${e.name}`));
  }
  const conn = Deno.listenDatagram({ transport: "udp", hostname: HOST, port });
  const buf = new Uint8Array(65536 + 1);
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
  for (;;) {
    const [b, from] = await conn.receive(buf);
    if (b[1] !== 1) continue; // RRQ only
    const [name, , ...opts] = strings(b);
    const data = files.get(name.replace(/^\/+/, ""));
    const to = { ...(from as Deno.NetAddr) };
    if (!data) {
      await conn.send(packet(5, ["\0\x01file not found"]), to);
      continue;
    }
    let blksize = 512;
    let window = 1;
    const reply: string[] = [];
    for (let i = 0; i + 1 < opts.length; i += 2) {
      const k = opts[i].toLowerCase();
      const n = Number(opts[i + 1]);
      if (k === "blksize" && n >= 8) blksize = Math.min(n, 65464);
      else if (k === "windowsize" && n >= 1) window = Math.min(n, 64);
      else continue;
      reply.push(k, String(k === "blksize" ? blksize : window));
    }
    await transfer(data, to, blksize, window, reply.length ? packet(6, reply) : null);
  }
}

async function get(port: number, name: string, blksize: number, window: number): Promise<void> {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: HOST, port: 0 });
  const buf = new Uint8Array(65536 + 1);
  const server = { transport: "udp" as const, hostname: HOST, port };
  const rrq = packet(1, [name, "octet", "blksize", String(blksize), "windowsize", String(window)]);
  const ack = new Uint8Array([0, 4, 0, 0]);
  let peer: Deno.NetAddr | null = null;
  let last = rrq;
  const dog = watchdog(conn, () => conn.send(last, peer ?? server).catch(() => {}));
  const t0 = performance.now();
  let bytes = 0;
  let expected = 1;
  let since = 0;
  try {
    await conn.send(rrq, server);
    for (;;) {
      const [b, from] = await conn.receive(buf);
      peer ??= { ...(from as Deno.NetAddr) };
      if (b[1] === 6) { // OACK
        last = ack;
        conn.send(ack, peer).catch(() => {});
        continue;
      }
      if (b[1] !== 3) throw new Error(`unexpected opcode ${b[1]}`);
      if (((b[2] << 8) | b[3]) !== (expected & 0xffff)) continue; // lost one: the watchdog resends
      bytes += b.length - 4;
      dog.progress();
      const end = b.length - 4 < blksize;
      if (end || ++since === window) {
        since = 0;
        const a = new Uint8Array([0, 4, (expected >> 8) & 0xff, expected & 0xff]);
        last = a;
        if (end) {
          await conn.send(a, peer);
          break;
        }
        conn.send(a, peer).catch(() => {});
      }
      expected++;
    }
  } finally {
    dog.stop();
    close(conn);
  }
  console.log(JSON.stringify({ ms: performance.now() - t0, bytes }));
}

const [role, ...a] = Deno.args;
if (role === "serve") await serve(a[0], Number(a[1]));
else if (role === "get") await get(Number(a[0]), a[1], Number(a[2]), Number(a[3]));
else throw new TypeError("usage: serve DIR PORT | get PORT NAME BLKSIZE WINDOWSIZE");
