/**
 * The writes of `netkit http`: `PUT` uploads (plain, or resumable with
 * `Content-Range`), `PATCH` with `Upload-Offset`, `MKCOL` and `DELETE`. Every
 * byte goes through the shared jail and the shared atomic write path
 * (`server/atomic_write.ts`): a plain upload lands in a temp file published
 * by `link` (create-only; of two racing uploads exactly one wins) or `rename`
 * (`overwrite`); a resumable one in a part file kept between attempts and
 * published the same way once complete. Bodies are streamed, never buffered.
 *
 * @module
 */

import { isNetkitError, NetkitError } from "../protocol/errors.ts";
import { AtomicFile, cleanStaleTemps } from "../server/atomic_write.ts";
import { joinInRoot } from "../server/jail.ts";
import { fsError, resolveInside } from "../server/jail_fs.ts";
import {
  parseContentRange,
  parseLength,
  parsePatchHeaders,
  type UploadSlice,
} from "./upload_range.ts";
import { humanSize } from "./listing.ts";
import type { UrlPath } from "./url_path.ts";
import type { WebOptions } from "./web_options.ts";

/** What the write handlers need. */
export interface WriteContext {
  /** Canonical root. */
  root: string;
  /** Accept dot-names. */
  hidden: boolean;
  /** The write options. */
  options: WebOptions;
  /** Headers on every response. */
  common: [string, string][];
  /** Give up on an upload whose body sends nothing for this long, ms; 0 never. */
  stallMs: number;
}

/** A short plain-text answer. */
export function reply(
  status: number,
  message: string,
  headers: [string, string][] = [],
): Response {
  return new Response(message + "\n", {
    status,
    headers: [...headers, ["content-type", "text/plain; charset=utf-8"], [
      "cache-control",
      "no-store",
    ]],
  });
}

/** Maps a typed error of a write to its HTTP answer; other errors are re-thrown. */
export function writeError(e: unknown, common: [string, string][]): Response {
  if (!isNetkitError(e)) throw e;
  const status: Record<string, number> = {
    INVALID_NAME: 400,
    EXISTS: 409,
    BUSY: 409,
    NOT_FOUND: 404,
    FORBIDDEN: 403,
    TOO_LARGE: 413,
    NO_SPACE: 507,
    BAD_OFFSET: 416,
    TIMEOUT: 408,
    SIZE_MISMATCH: 400,
  };
  const s = status[e.code];
  if (s === undefined) throw e;
  return reply(s, e.message, common);
}

/**
 * The canonical folder that will hold the last segment, creating missing
 * folders one by one inside the jail when `mkdir` is on.
 *
 * @throws {NetkitError} `NOT_FOUND` (as a 409 by the caller) or `FORBIDDEN`
 */
export async function parentFolder(
  root: string,
  segments: readonly string[],
  mkdir: boolean,
): Promise<string> {
  let real = root;
  for (let i = 0; i < segments.length - 1; i++) {
    let next;
    try {
      next = await resolveInside(root, segments.slice(0, i + 1));
    } catch (e) {
      if (!mkdir || !isNetkitError(e, "NOT_FOUND")) throw e;
      try {
        await Deno.mkdir(joinInRoot(real, [segments[i]]));
      } catch (e2) {
        if (!(e2 instanceof Deno.errors.AlreadyExists)) throw fsError(e2, segments[i]);
      }
      next = await resolveInside(root, segments.slice(0, i + 1));
    }
    if (!next.info.isDirectory) {
      throw new NetkitError("EXISTS", `${segments.slice(0, i + 1).join("/")}: not a folder`);
    }
    real = next.real;
  }
  return real;
}

const CLEAN_EVERY_MS = 10 * 60_000;
const cleaned = new Map<string, number>();

/**
 * Sweeps abandoned temp and part files from a folder that receives an
 * upload, at most once per 10 minutes per folder, in the background.
 */
function sweep(dir: string): void {
  const now = Date.now();
  if (now - (cleaned.get(dir) ?? 0) < CLEAN_EVERY_MS) return;
  if (cleaned.size > 10_000) cleaned.clear();
  cleaned.set(dir, now);
  cleanStaleTemps(dir).catch(() => {});
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw fsError(e, "upload");
  }
}

/**
 * Streams `body` into `file`: at most `limit` bytes (more is `TOO_LARGE`
 * when `tooLarge`, else `SIZE_MISMATCH`), awaiting each write so a slow disk
 * slows the sender.
 *
 * @returns the bytes written
 */
export async function drain(
  body: ReadableStream<Uint8Array> | null,
  file: AtomicFile,
  limit: number,
  tooLarge: boolean,
  stallMs = 0,
): Promise<number> {
  let n = 0;
  if (body === null) return 0;
  const reader = body.getReader();
  const read = (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    if (stallMs <= 0) return reader.read();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NetkitError("TIMEOUT", "the upload stalled")), stallMs);
    });
    return Promise.race([reader.read(), stalled]).finally(() => clearTimeout(timer));
  };
  try {
    while (true) {
      let next;
      try {
        next = await read();
      } catch (e) {
        if (isNetkitError(e, "TIMEOUT")) throw e;
        throw new NetkitError("SIZE_MISMATCH", `the upload was cut short after ${n} bytes`);
      }
      if (next.done) return n;
      n += next.value.length;
      if (n > limit) {
        throw tooLarge
          ? new NetkitError(
            "TOO_LARGE",
            `upload is larger than the limit of ${limit} bytes (${humanSize(limit)})`,
          )
          : new NetkitError("SIZE_MISMATCH", "body is longer than announced");
      }
      await file.write(next.value);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function checkTarget(ctx: WriteContext, path: UrlPath): string[] {
  if (path.segments.length === 0 || path.slash) {
    throw new NetkitError("INVALID_NAME", "a file name is needed (the path ends with /)");
  }
  if (path.hidden && !ctx.hidden) {
    throw new NetkitError("INVALID_NAME", "hidden names are not allowed");
  }
  return path.segments;
}

/** Answers `PUT` (and `PATCH`): a plain or resumable upload. */
export async function handleUpload(
  ctx: WriteContext,
  req: Request,
  path: UrlPath,
): Promise<Response> {
  const { options: o, common } = ctx;
  const max = o.maxUpload ?? Number.MAX_SAFE_INTEGER;
  try {
    const segments = checkTarget(ctx, path);
    const name = segments.at(-1)!;
    const length = parseLength(req.headers.get("content-length"));
    if (Number.isNaN(length)) return reply(400, "bad Content-Length", common);
    let slice: UploadSlice | null = null;
    if (req.method === "PATCH") {
      slice = parsePatchHeaders(
        req.headers.get("upload-offset"),
        req.headers.get("upload-length"),
        req.headers.get("content-length"),
      );
      if (slice === null) return reply(400, "PATCH needs Upload-Offset and Upload-Length", common);
    } else {
      const cr = req.headers.get("content-range");
      if (cr !== null) {
        slice = parseContentRange(cr);
        if (slice === null) return reply(400, "bad Content-Range", common);
      }
    }
    const declared = slice?.total ?? length;
    if (declared !== null && declared > max) {
      return reply(
        413,
        `upload is larger than the limit of ${max} bytes (${humanSize(max)})`,
        common,
      );
    }
    const dir = await parentFolder(ctx.root, segments, o.mkdir ?? false).catch((e) => {
      if (isNetkitError(e, "NOT_FOUND")) {
        throw new NetkitError(
          "EXISTS",
          `the folder does not exist${o.mkdir ? "" : " (the server needs --mkdir)"}`,
        );
      }
      throw e;
    });
    sweep(dir);
    const overwrite = o.overwrite ?? false;
    if (!overwrite && await exists(`${dir}/${name}`)) {
      return reply(409, `${name}: already exists`, common);
    }
    if (slice === null) {
      await using up = await AtomicFile.create(dir, name);
      const limit = Math.min(length ?? max, max);
      const got = await drain(req.body, up, limit, length === null, ctx.stallMs);
      if (length !== null && got !== length) {
        return reply(400, `body ended after ${got} of ${length} bytes`, common);
      }
      await up.commit(overwrite);
      return reply(201, `created ${name} (${got} bytes)`, common);
    }
    return await resumeUpload(ctx, req, dir, name, slice, overwrite, length);
  } catch (e) {
    return writeError(e, common);
  }
}

async function resumeUpload(
  ctx: WriteContext,
  req: Request,
  dir: string,
  name: string,
  slice: UploadSlice,
  overwrite: boolean,
  length: number | null,
): Promise<Response> {
  const common = ctx.common;
  await using up = await AtomicFile.resumable(dir, name, slice.total);
  const have: [string, string][] = [...common, ["upload-offset", String(up.offset)]];
  if (slice.kind === "probe") return reply(200, `${up.offset} of ${slice.total} bytes held`, have);
  if (slice.start !== up.offset) {
    return reply(416, `the upload continues at byte ${up.offset}`, have);
  }
  if (length !== null && length !== slice.length) {
    return reply(400, "Content-Length does not match Content-Range", common);
  }
  await up.file.seek(up.offset, Deno.SeekMode.Start);
  // A body cut short leaves every chunk written so far in the part file: the
  // next attempt continues after them.
  const got = await drain(req.body, up, slice.length, false, ctx.stallMs);
  const now = up.offset + got;
  if (now < slice.total) {
    return reply(202, `${now} of ${slice.total} bytes held`, [
      ...common,
      ["upload-offset", String(now)],
    ]);
  }
  await up.commit(overwrite);
  return reply(201, `created ${name} (${slice.total} bytes)`, common);
}

/** Answers `MKCOL`: one new folder, its parent must exist. */
export async function handleMkcol(ctx: WriteContext, path: UrlPath): Promise<Response> {
  try {
    const segments = checkTarget(ctx, { ...path, slash: false });
    const dir = await parentFolder(ctx.root, segments, false);
    try {
      await Deno.mkdir(`${dir}/${segments.at(-1)}`);
    } catch (e) {
      throw fsError(e, segments.join("/"));
    }
    return reply(201, `created ${segments.join("/")}/`, ctx.common);
  } catch (e) {
    return writeError(e, ctx.common);
  }
}

/** Answers `DELETE`: a file, a link, or an empty folder (never recursive). */
export async function handleDelete(ctx: WriteContext, path: UrlPath): Promise<Response> {
  try {
    const segments = checkTarget(ctx, { ...path, slash: false });
    const dir = await parentFolder(ctx.root, segments, false);
    try {
      await Deno.remove(`${dir}/${segments.at(-1)}`);
    } catch (e) {
      if ((e as { code?: string })?.code === "ENOTEMPTY") {
        throw new NetkitError("EXISTS", "the folder is not empty");
      }
      throw fsError(e, segments.join("/"));
    }
    return new Response(null, { status: 204, headers: ctx.common });
  } catch (e) {
    return writeError(e, ctx.common);
  }
}
