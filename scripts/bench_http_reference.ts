/**
 * The reference for the HTTP benchmark: a bare `Deno.serve` handler that
 * answers every request with the bytes of one file, read once into memory,
 * and the very headers `netkit http` sends for it (type, length, ETag,
 * Last-Modified, Accept-Ranges, nosniff). No path parsing, no jail, no stat:
 * the ceiling netkit's small-file path is measured against.
 *
 * With `url`, the handler reads only the request's URL (the least a file
 * server must read to know which file). With `reads`, the handler first reads what any correct file server must
 * read before it may answer 200: the URL, the method and the five request
 * headers that could turn the answer into a 304, 412 or 206. That measures
 * what reading a request costs in `Deno.serve` itself (a handler declared
 * with no parameters is dispatched without building a `Request` at all).
 *
 * Usage: deno run -A scripts/bench_http_reference.ts FILE PORT [url|reads]
 *
 * @module
 */

import { fileEtag } from "../http/conditional.ts";
import { contentTypeFor } from "../http/content_type.ts";
import { CONDITIONAL } from "../http/hot_path.ts";

const [file, portText, mode] = Deno.args;
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
const bare = () => new Response(bytes, { headers });
const url = (req: Request) =>
  req.url.length === 0 ? new Response(null, { status: 400 }) : new Response(bytes, { headers });
const reads = (req: Request) => {
  if (req.method !== "GET" || req.url.length === 0) return new Response(null, { status: 405 });
  const h = req.headers;
  for (const name of CONDITIONAL) if (h.has(name)) return new Response(null, { status: 400 });
  return new Response(bytes, { headers });
};
Deno.serve({
  hostname: "127.0.0.1",
  port: Number(portText),
  automaticCompression: false,
  onListen: (a) => console.error(`reference: serving ${file} on 127.0.0.1:${a.port}`),
}, mode === "reads" ? reads : mode === "url" ? url : bare);
