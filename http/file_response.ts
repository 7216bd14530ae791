/**
 * The response for one regular file that passed the jail: validators and
 * conditional requests, ranges (single and multipart), negotiated
 * compression (precompressed siblings first), and the body from the
 * in-memory cache or streamed from disk. HEAD never opens the file.
 *
 * @module
 */

import type { Found, Library } from "../core/library/library.ts";
import { partsBody } from "./body.ts";
import type { CompressCache, Encoding } from "./compress.ts";
import { compressKey, MIN_COMPRESS_SIZE, negotiateEncoding } from "./compress.ts";
import { evaluate, fileEtag, ifRangeAllows } from "./conditional.ts";
import { contentTypeFor, isCompressible } from "./content_type.ts";
import { type FileCache, readAll } from "./file_cache.ts";
import { isVersion, versionOf } from "../core/file_version.ts";
import type { HotPaths } from "./hot_path.ts";
import { text } from "./plain_text.ts";
import { contentRange, parseRange, planMultipart } from "./range.ts";

/** What every file response needs from the handler. */
export interface FileContext {
  /** The library the files come from. */
  library: Library;
  /** Headers on every response (nosniff, CORS). */
  common: [string, string][];
  /** `Cache-Control` for files, or null. */
  cacheControl: string | null;
  /** Small-file cache. */
  files: FileCache;
  /** Compressed-bytes cache, or null when compression is off. */
  compress: CompressCache | null;
  /** Stall timeout for streamed bodies, ms. */
  stallMs: number;
  /** Remembered answers for hot small files. */
  hot: HotPaths;
}

/** A file that passed the jail (its segments serve sibling lookups and re-opening). */
export type JailedFile = Found;

/** How {@linkcode fileResponse} answers. */
export interface FileResponseOptions {
  /** The status of a full answer. @default 200 */
  status?: number;
  /**
   * Skip conditionals and ranges (a custom 404 page, the SPA fallback).
   * @default false
   */
  plain?: boolean;
  /**
   * The raw request path under which to remember a plain 200 answer for the
   * hot path; null remembers nothing. @default null
   */
  hotKey?: string | null;
}

const PRECOMPRESSED: [Encoding, string][] = [["br", ".br"], ["gzip", ".gz"]];

function lastModified(info: Deno.FileInfo): string | null {
  return info.mtime ? info.mtime.toUTCString() : null;
}

function etagOf(info: Deno.FileInfo, suffix = ""): string {
  const e = fileEtag(info.size, info.mtime?.getTime() ?? null, info.ino);
  return suffix ? `${e.slice(0, -1)}-${suffix}"` : e;
}

/** Answers a GET or HEAD for the file `f`; see {@linkcode FileResponseOptions}. */
export function fileResponse(
  ctx: FileContext,
  req: Request,
  f: JailedFile,
  options: FileResponseOptions = {},
): Response | Promise<Response> {
  return respond(ctx, req, f, options, { warmed: false, refound: false });
}

/** Which pass of {@linkcode respond} this is. */
interface Pass {
  /** A small file was read into memory since the first pass. */
  warmed: boolean;
  /** The file was looked up again: it changed between `stat` and `open` once. */
  refound: boolean;
}

/** {@linkcode fileResponse}, on its first or a later pass. */
function respond(
  ctx: FileContext,
  req: Request,
  f: JailedFile,
  options: FileResponseOptions,
  pass: Pass,
): Response | Promise<Response> {
  const { status = 200, plain = false, hotKey = null } = options;
  const name = f.segments.at(-1) ?? "";
  const type = contentTypeFor(name);
  const head = req.method === "HEAD";
  const compressible = ctx.compress !== null && isCompressible(type);
  const rangeHeader = plain ? null : req.headers.get("range");
  // Replaced between the stat and the open (by another host, say): answer
  // once more from a fresh lookup, so the headers describe what is sent.
  const onChanged = () => {
    const fresh = pass.refound ? null : ctx.library.tryFind(f.segments);
    if (fresh === null || !fresh.info.isFile) return changed(ctx);
    return respond(ctx, req, fresh, options, { ...pass, refound: true });
  };

  // Choose the representation: an encoded one only for whole-body requests.
  let encoding: Encoding | null = null;
  let source = f;
  let bytes: Uint8Array<ArrayBuffer> | null = null;
  if (
    compressible && rangeHeader === null && f.info.size >= MIN_COMPRESS_SIZE
  ) {
    encoding = negotiateEncoding(req.headers.get("accept-encoding"));
    if (encoding !== null) {
      const sibling = precompressed(ctx, f, encoding);
      if (sibling) source = sibling;
      else {
        if (!pass.warmed && needsWarming(ctx, f)) {
          return warm(ctx, f).then(() => respond(ctx, req, f, options, { ...pass, warmed: true }));
        }
        bytes = compressed(ctx, f, encoding);
        if (bytes === null) encoding = null;
      }
    }
  }

  const etag = source !== f ? etagOf(source.info) : etagOf(f.info, encoding ?? "");
  const lm = lastModified(f.info);
  const headers: [string, string][] = [
    ["content-type", type],
    ["etag", etag],
    ["accept-ranges", "bytes"],
    ...ctx.common,
  ];
  if (lm) headers.push(["last-modified", lm]);
  if (ctx.cacheControl) headers.push(["cache-control", ctx.cacheControl]);
  if (compressible) headers.push(["vary", "Accept-Encoding"]);
  if (encoding) headers.push(["content-encoding", encoding]);

  if (!plain) {
    const mtimeSec = f.info.mtime ? Math.floor(f.info.mtime.getTime() / 1000) : null;
    const v = { etag, mtimeSec };
    const pre = evaluate((h) => req.headers.get(h), v);
    if (pre === "not-modified") {
      return new Response(null, {
        status: 304,
        headers: headers.filter(([k]) =>
          k !== "content-type" && k !== "content-encoding" &&
          k !== "accept-ranges"
        ),
      });
    }
    if (pre === "failed") return text(412, "precondition failed\n", ctx.common);
    if (rangeHeader !== null && ifRangeAllows(req.headers.get("if-range"), v)) {
      const r = parseRange(rangeHeader, f.info.size);
      if (r.kind === "unsatisfiable") {
        return text(416, "range not satisfiable\n", [
          ...ctx.common,
          ["content-range", `bytes */${f.info.size}`],
        ]);
      }
      if (r.kind === "ranges") {
        return rangeResponse(ctx, f, r.ranges, headers, type, head, onChanged);
      }
    }
  }

  if (bytes !== null) {
    headers.push(["content-length", String(bytes.length)]);
    return new Response(head ? null : bytes, { status, headers });
  }
  const remember = hotKey !== null && source === f && encoding === null && status === 200
    ? (bytes: Uint8Array<ArrayBuffer>) =>
      ctx.hot.remember(
        hotKey,
        ctx.library.pathOf(f.segments),
        f.info,
        headers,
        bytes,
        compressible,
      )
    : null;
  return wholeFile(ctx, source, headers, status, head, remember, onChanged);
}

/** A precompressed sibling (`name.br`, `name.gz`) that passes the jail. */
function precompressed(
  ctx: FileContext,
  f: JailedFile,
  encoding: Encoding,
): JailedFile | null {
  const ext = PRECOMPRESSED.find(([e]) => e === encoding)![1];
  const sibling = ctx.library.tryFind([...f.segments.slice(0, -1), f.segments.at(-1) + ext]);
  return sibling?.info.isFile ? sibling : null;
}

/** True for a small file to compress inline that is not in memory yet. */
function needsWarming(ctx: FileContext, f: JailedFile): boolean {
  return f.info.size <= ctx.compress!.inlineMax &&
    ctx.files.accepts(f.info.size) && ctx.files.peek(f.real, f.info) === null;
}

/** Reads a small file into the cache (through the jail's checked open). */
async function warm(ctx: FileContext, f: JailedFile): Promise<void> {
  const { file, info } = ctx.library.openRead(f.segments);
  try {
    if (ctx.files.accepts(info.size)) {
      ctx.files.put(f.real, await readAll(file, info.size), info);
    }
  } finally {
    file.close();
  }
}

/** Compressed bytes when ready now; otherwise schedules them and says null. */
function compressed(
  ctx: FileContext,
  f: JailedFile,
  encoding: Encoding,
): Uint8Array<ArrayBuffer> | null {
  const cc = ctx.compress!;
  if (!cc.accepts(f.info.size)) return null;
  const version = versionOf(f.info);
  const key = compressKey(f.real, version, encoding);
  const hit = cc.lookup(key);
  if (hit) return hit;
  const cached = ctx.files.get(f.real, f.info);
  if (cached && f.info.size <= cc.inlineMax) {
    return cc.inline(key, cached.bytes, encoding);
  }
  cc.schedule(key, f.real, version, encoding);
  return null;
}

/** 200 with the whole file: from memory when cached, else streamed. */
function wholeFile(
  ctx: FileContext,
  f: JailedFile,
  headers: [string, string][],
  status: number,
  head: boolean,
  remember: ((bytes: Uint8Array<ArrayBuffer>) => void) | null,
  onChanged: () => Response | Promise<Response>,
): Response | Promise<Response> {
  headers.push(["content-length", String(f.info.size)]);
  if (head) return new Response(null, { status, headers });
  const cached = ctx.files.get(f.real, f.info);
  if (cached) {
    remember?.(cached.bytes);
    return new Response(cached.bytes, { status, headers });
  }
  return (async () => {
    const opened = openSame(ctx, f);
    if (opened === null) return await onChanged();
    const { file, info } = opened;
    if (ctx.files.accepts(info.size)) {
      try {
        const bytes = await readAll(file, info.size);
        ctx.files.put(f.real, bytes, info);
        return new Response(bytes, { status, headers });
      } finally {
        file.close();
      }
    }
    return new Response(file.readable, { status, headers });
  })();
}

/**
 * Opens `f` through the jail's checked open; null (file closed) when it is
 * no longer the version whose headers were computed.
 */
function openSame(
  ctx: FileContext,
  f: JailedFile,
): { file: Deno.FsFile; info: Deno.FileInfo } | null {
  const { file, info } = ctx.library.openRead(f.segments);
  if (isVersion(versionOf(f.info), info)) return { file, info };
  file.close();
  return null;
}

/** 503 for a file that changed between `stat` and `open` twice in a row: a retry will do. */
function changed(ctx: FileContext): Response {
  return text(503, "file changed while being opened, retry\n", [
    ...ctx.common,
    ["retry-after", "1"],
  ]);
}

/** 206 for one range, or `multipart/byteranges` for several. */
function rangeResponse(
  ctx: FileContext,
  f: JailedFile,
  ranges: { start: number; end: number }[],
  base: [string, string][],
  type: string,
  head: boolean,
  onChanged: () => Response | Promise<Response>,
): Response | Promise<Response> {
  const headers = base.filter(([k]) => k !== "content-type");
  let parts: (Uint8Array | { start: number; length: number })[];
  if (ranges.length === 1) {
    const r = ranges[0];
    headers.push(["content-type", type]);
    headers.push(["content-range", contentRange(r, f.info.size)]);
    headers.push(["content-length", String(r.end - r.start + 1)]);
    parts = [{ start: r.start, length: r.end - r.start + 1 }];
  } else {
    const boundary = crypto.randomUUID().replaceAll("-", "");
    const plan = planMultipart(ranges, f.info.size, type, boundary);
    headers.push(["content-type", plan.contentType]);
    headers.push(["content-length", String(plan.length)]);
    parts = [];
    ranges.forEach((r, i) =>
      parts.push(plan.heads[i], { start: r.start, length: r.end - r.start + 1 })
    );
    parts.push(plan.tail);
  }
  if (head) return new Response(null, { status: 206, headers });
  const opened = openSame(ctx, f);
  if (opened === null) return onChanged();
  return new Response(partsBody(opened.file, parts, ctx.stallMs), {
    status: 206,
    headers,
  });
}
