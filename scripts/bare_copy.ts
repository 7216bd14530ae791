/**
 * The reference for the download benchmark: a bare Deno program copying a
 * file over one TCP connection into a file, with no protocol and no
 * verification. netkit's verified download is measured against it.
 *
 * Usage:
 *   deno run -A scripts/bare_copy.ts serve FILE PORT   (sends FILE to each client)
 *   deno run -A scripts/bare_copy.ts fetch PORT DEST   (saves what arrives)
 *
 * @module
 */

const CHUNK = 1 << 20;

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, b: Uint8Array) {
  let at = 0;
  while (at < b.length) at += await w.write(b.subarray(at));
}

async function serve(file: string, port: number): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  console.error(`bare_copy: serving on 127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
  for await (const conn of listener) {
    (async () => {
      using f = await Deno.open(file);
      const buf = new Uint8Array(CHUNK);
      while (true) {
        const n = await f.read(buf);
        if (n === null) break;
        await writeAll(conn, buf.subarray(0, n));
      }
      conn.close();
    })().catch((e) => console.error(e));
  }
}

async function fetch(port: number, dest: string): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  using f = await Deno.open(dest, { write: true, create: true, truncate: true });
  const buf = new Uint8Array(CHUNK);
  let total = 0;
  const t0 = performance.now();
  while (true) {
    const n = await conn.read(buf);
    if (n === null) break;
    await writeAll(f, buf.subarray(0, n));
    total += n;
  }
  const s = (performance.now() - t0) / 1000;
  console.error(
    `bare_copy: ${total} bytes in ${s.toFixed(2)}s (${(total / s / 1e9).toFixed(2)} GB/s)`,
  );
}

if (import.meta.main) {
  const [mode, a, b] = Deno.args;
  if (mode === "serve") await serve(a, Number(b));
  else if (mode === "fetch") await fetch(Number(a), b);
  else {
    console.error("usage: bare_copy.ts serve FILE PORT | fetch PORT DEST");
    Deno.exit(2);
  }
}
