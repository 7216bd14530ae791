/**
 * Test helpers for `netkit http`: a fixture tree in a temp folder, a server
 * on port 0 that stops itself (`await using`), raw HTTP/1.1 over TCP for
 * request targets `fetch` would normalise, and `curl`.
 *
 * @module
 */

import type { HttpServerHandle } from "../http/server.ts";
import { startHttpServer } from "../http/server.ts";
import type { HttpServerOptions } from "../http/options.ts";

/** A temp folder holding `root/` and, beside it, `root2/` and `outside/`. */
export interface Fixture extends AsyncDisposable {
  /** The parent temp folder. */
  base: string;
  /** The served folder. */
  root: string;
}

/** Bytes 0..255 repeated: every range has a predictable content. */
export function pattern(size: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = i & 0xff;
  return b;
}

/** The secret that lives outside the root; no response may contain it. */
export const SECRET = "TOP-SECRET-OUTSIDE-THE-ROOT";

/**
 * Builds `base/root` with text, binary, a folder with index.html, a folder
 * without, dot-files, a symlink out of the root, and a sibling `base/root2`
 * (same prefix) and `base/outside` holding {@linkcode SECRET}.
 */
export async function makeFixture(): Promise<Fixture> {
  const base = await Deno.makeTempDir({ prefix: "netkit-http-" });
  const root = `${base}/root`;
  const w = (p: string, data: string | Uint8Array) =>
    typeof data === "string"
      ? Deno.writeTextFile(`${base}/${p}`, data)
      : Deno.writeFile(`${base}/${p}`, data);
  for (
    const d of [
      "root",
      "root/site",
      "root/docs",
      "root/.git",
      "root2",
      "outside",
    ]
  ) {
    await Deno.mkdir(`${base}/${d}`);
  }
  await w("root/hello.txt", "hello, world\n");
  await w("root/page.html", "<h1>page</h1>\n".repeat(50));
  await w("root/data.bin", pattern(10_000));
  await w("root/pic.png", pattern(4096));
  await w("root/site/index.html", "<p>site index</p>\n");
  await w("root/docs/a.txt", "a");
  await w('root/docs/<b>&"x".txt', "escaped name");
  await w("root/.env", `SECRET=${SECRET}`);
  await w("root/.git/config", SECRET);
  await w("root2/secret.txt", SECRET);
  await w("outside/secret.txt", SECRET);
  await Deno.symlink(`${base}/outside/secret.txt`, `${root}/link-out.txt`);
  await Deno.symlink(`${base}/outside`, `${root}/dir-out`);
  await Deno.symlink(`${root}/hello.txt`, `${root}/link-in.txt`);
  return {
    base,
    root,
    async [Symbol.asyncDispose]() {
      await Deno.remove(base, { recursive: true });
    },
  };
}

/** A server on a TCP port. */
export type TcpServerHandle = HttpServerHandle & { readonly addr: Deno.NetAddr };

/** Starts a quiet server on 127.0.0.1 port 0. */
export async function serve(
  options: HttpServerOptions,
): Promise<TcpServerHandle> {
  return await startHttpServer({
    quiet: true,
    hostname: "127.0.0.1",
    ...options,
    port: 0,
  }) as TcpServerHandle;
}

/** A raw HTTP response: status, lower-cased headers, body bytes. */
export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Uint8Array;
}

/**
 * Sends one request with `Connection: close` over plain TCP, the target sent
 * exactly as given, and reads the whole answer (bounded in time and size).
 */
export async function rawRequest(
  port: number,
  target: string,
  method = "GET",
  extra = "",
): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), 5000);
  try {
    await conn.write(new TextEncoder().encode(
      `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extra}\r\n`,
    ));
    const chunks: Uint8Array[] = [];
    let total = 0;
    const buf = new Uint8Array(65536);
    while (total < 16 * 1024 * 1024) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      total += n;
    }
    const all = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      all.set(c, o);
      o += c.length;
    }
    const text = new TextDecoder("latin1").decode(all);
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      throw new Error(
        `no response head: ${JSON.stringify(text.slice(0, 200))}`,
      );
    }
    const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
    const headers = new Map<string, string>();
    for (const l of lines) {
      const i = l.indexOf(":");
      headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
    }
    return {
      status: Number(statusLine.split(" ")[1]),
      headers,
      body: all.subarray(end + 4),
    };
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
}

/**
 * Runs curl; resolves to its exit code, stdout and stderr. `maxTime` (s)
 * only keeps a hung server from holding the suite: give a large transfer
 * room for a busy machine. @default 60
 */
export async function curl(
  args: string[],
  maxTime = 60,
): Promise<{ code: number; stdout: Uint8Array; text: string; stderr: string }> {
  const out = await new Deno.Command("curl", {
    args: ["--silent", "--show-error", "--max-time", String(maxTime), ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: out.stdout,
    text: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** True when `haystack` contains the bytes of `needle`. */
export function containsText(haystack: Uint8Array, needle: string): boolean {
  return new TextDecoder("latin1").decode(haystack).includes(needle);
}
