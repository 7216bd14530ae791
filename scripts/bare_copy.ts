/**
 * The reference for the download benchmark: a bare Deno program copying a
 * file over one TCP connection into a file, with no protocol and no
 * verification. netkit's verified download is measured against it.
 *
 * With `--xxh3`, fetch also hashes what arrives with netkit's XXH3-128
 * (hash-wasm, the same code netkit's client uses): the floor of a verified
 * download on one core, with no protocol at all.
 *
 * Usage:
 *   deno run -A scripts/bare_copy.ts serve FILE PORT          (sends FILE to each client)
 *   deno run -A scripts/bare_copy.ts fetch PORT DEST [--xxh3] (saves what arrives)
 *
 * @module
 */

import { createHasher, type Hasher, toHex } from "../core/hash/hash.ts";

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

async function fetch(port: number, dest: string, hash: boolean): Promise<void> {
  const hasher: Hasher | null = hash ? await createHasher("xxh3-128") : null;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  using f = await Deno.open(dest, { write: true, create: true, truncate: true });
  const buf = new Uint8Array(CHUNK);
  let total = 0;
  const t0 = performance.now();
  while (true) {
    const n = await conn.read(buf);
    if (n === null) break;
    hasher?.update(buf.subarray(0, n));
    await writeAll(f, buf.subarray(0, n));
    total += n;
  }
  const s = (performance.now() - t0) / 1000;
  console.error(
    `bare_copy: ${total} bytes in ${s.toFixed(2)}s (${(total / s / 1e9).toFixed(2)} GB/s)` +
      (hasher ? `, xxh3-128 ${toHex(hasher.digest())}` : ""),
  );
}

if (import.meta.main) {
  const [mode, a, b] = Deno.args;
  if (mode === "serve") await serve(a, Number(b));
  else if (mode === "fetch") await fetch(Number(a), b, Deno.args.includes("--xxh3"));
  else {
    console.error("usage: bare_copy.ts serve FILE PORT | fetch PORT DEST [--xxh3]");
    Deno.exit(2);
  }
}
