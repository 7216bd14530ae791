/**
 * The reference for the HTTP benchmark: a bare `Deno.serve` handler that
 * answers every request with the bytes of one file, read once into memory,
 * and the very headers `netkit http` sends for it (type, length, ETag,
 * Last-Modified, Accept-Ranges, nosniff). No path parsing, no jail, no stat:
 * the ceiling netkit's small-file path is measured against.
 *
 * Usage: deno run -A scripts/bench_http_reference.ts FILE PORT
 *
 * @module
 */

import { fileEtag } from "../http/conditional.ts";
import { contentTypeFor } from "../http/content_type.ts";

const [file, portText] = Deno.args;
if (!file || !portText) {
  console.error("usage: bench_http_reference.ts FILE PORT");
  Deno.exit(2);
}
const bytes = await Deno.readFile(file);
const info = await Deno.stat(file);
const headers: [string, string][] = [
  ["content-type", contentTypeFor(file)],
  ["etag", fileEtag(info.size, info.mtime?.getTime() ?? null, info.ino)],
  ["accept-ranges", "bytes"],
  ["x-content-type-options", "nosniff"],
  ["last-modified", info.mtime!.toUTCString()],
  ["content-length", String(bytes.length)],
];
Deno.serve({
  hostname: "127.0.0.1",
  port: Number(portText),
  automaticCompression: false,
  onListen: (a) => console.error(`reference: serving ${file} on 127.0.0.1:${a.port}`),
}, () => new Response(bytes, { headers }));
