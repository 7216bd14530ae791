/**
 * A second reference for the TFTP benchmark (issue 6): the bare lock-step
 * sender of bench_tftp_bare.ts, but with each DATA sent and each ACK
 * received by libc's `sendto` and `recvfrom` through `Deno.dlopen`, in place
 * of `DatagramConn.send` and `receive`. It shows what Deno's async UDP ops
 * cost against plain system calls, on the same machine and in the same runs.
 *
 * The calls block: a transfer holds the whole event loop, one transfer at a
 * time, which is fine for a benchmark and nothing a server could ship. An
 * ACK waits at most 1 s (SO_RCVTIMEO); five silent waits end the transfer.
 * Linux x86_64 only (the `sockaddr_in` and `timeval` layouts are spelled out).
 *
 *   deno run -A --unstable-net scripts/bench_tftp_ffi.ts DIR PORT
 *
 * Talks to 127.0.0.1 only. Not part of netkit.
 *
 * @module
 */

const AF_INET = 2, SOCK_DGRAM = 2, SOL_SOCKET = 1, SO_RCVTIMEO = 20;
const libc = Deno.dlopen("libc.so.6", {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  recvfrom: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
});
const { socket, setsockopt, sendto, recvfrom, close } = libc.symbols;

/** `struct sockaddr_in` for 127.0.0.1:port. */
function loopback(port: number): Uint8Array {
  return new Uint8Array([AF_INET, 0, port >> 8, port & 0xff, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
}

function transfer(data: Uint8Array, port: number, blksize: number, oack: Uint8Array | null) {
  const fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) throw new Error("socket() failed");
  try {
    const timeval = new BigInt64Array([1n, 0n]); // 1 s
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, new Uint8Array(timeval.buffer), 16);
    const to = loopback(port);
    const ack = new Uint8Array(516);
    const send = (p: Uint8Array) => sendto(fd, p, BigInt(p.length), 0, to, 16);
    // The next ACK's block number, or -1 on a timeout or another packet.
    const receive = () => {
      const n = Number(recvfrom(fd, ack, BigInt(ack.length), 0, null, null));
      return n === 4 && ack[1] === 4 ? (ack[2] << 8) | ack[3] : -1;
    };
    let silent = 0;
    if (oack) {
      for (; silent < 5; silent++) {
        send(oack);
        if (receive() === 0) break;
      }
    }
    const pkt = new Uint8Array(4 + blksize);
    pkt[1] = 3;
    const blocks = Math.floor(data.length / blksize) + 1; // the last one short, maybe empty
    for (let n = 1; n <= blocks && silent < 5;) {
      const from = (n - 1) * blksize;
      const len = Math.min(blksize, data.length - from);
      pkt[2] = (n >> 8) & 0xff;
      pkt[3] = n & 0xff;
      pkt.set(data.subarray(from, from + len), 4);
      send(pkt.subarray(0, 4 + len));
      if (receive() === (n & 0xffff)) {
        n++;
        silent = 0;
      } else silent++;
    }
  } finally {
    close(fd);
  }
}

const [dir, port] = Deno.args;
const files = new Map<string, Uint8Array>();
for (const e of Deno.readDirSync(dir)) {
  if (e.isFile) files.set(e.name, Deno.readFileSync(`${dir}/${e.name}`));
}
const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: Number(port) });
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
const buf = new Uint8Array(65536 + 1);
const text = new TextDecoder();
for (;;) {
  const [b, from] = await conn.receive(buf);
  if (b[1] !== 1) continue; // RRQ only
  const [name, , ...opts] = text.decode(b.subarray(2)).split("\0");
  const data = files.get(name.replace(/^\/+/, ""));
  if (!data) continue; // the benchmark asks only for files that exist
  let blksize = 512;
  for (let i = 0; i + 1 < opts.length; i += 2) {
    if (opts[i].toLowerCase() === "blksize") blksize = Math.min(Number(opts[i + 1]), 65464);
  }
  const oack = blksize === 512 ? null : new TextEncoder().encode(`\0\x06blksize\0${blksize}\0`);
  transfer(data, (from as Deno.NetAddr).port, blksize, oack);
}
