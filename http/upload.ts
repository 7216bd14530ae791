/**
 * Uploads for `netkit http`: `PUT` (plain, or resumable with
 * `Content-Range`) and `PATCH` with `Upload-Offset`. Every byte goes through
 * the library's door (`core/library/library.ts`): a plain upload lands in a temp
 * file published by `link` (create-only; of two racing uploads exactly one
 * wins) or `rename` (`overwrite`); a resumable one in a part file kept
 * between attempts and published the same way once complete. Bodies are
 * streamed, never buffered.
 *
 * @module
 */

import { isNetkitError, NetkitError } from "../core/errors.ts";
import type { AtomicFile } from "../core/library/atomic_file.ts";
import { writeError } from "./error_status.ts";
import { reply } from "./plain_text.ts";
import { formatSize } from "../core/text/format.ts";
import {
  parseContentRange,
  parseLength,
  parsePatchHeaders,
  type UploadSlice,
} from "./upload_range.ts";
import type { UrlPath } from "./url_path.ts";
import { checkTarget, type WriteContext } from "./write_common.ts";
import type { UploadResult } from "../core/ops/service_metrics.ts";

type Common = [string, string][];

/** Bytes handed to the disk but not yet written, at most (backpressure). */
const MAX_IN_FLIGHT = 8 << 20;

/**
 * Streams `body` into `file`: at most `limit` bytes (more is `TOO_LARGE`
 * when `tooLarge`, else `SIZE_MISMATCH`). Writes are queued in order while
 * reading goes on, with at most 8 MiB in flight: Deno 2.9 reads a chunked
 * request body up to ten times slower when each chunk waits for its disk
 * write, and the bound keeps a fast sender from filling memory.
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
  let writing: Promise<void> = Promise.resolve();
  let inFlight = 0;
  let failure: unknown = null;
  try {
    while (true) {
      let next;
      try {
        next = await read();
      } catch (e) {
        if (isNetkitError(e, "TIMEOUT")) throw e;
        throw new NetkitError("SIZE_MISMATCH", `the upload was cut short after ${n} bytes`);
      }
      if (failure !== null) throw failure;
      if (next.done) break;
      const chunk = next.value;
      n += chunk.length;
      if (n > limit) {
        throw tooLarge
          ? new NetkitError(
            "TOO_LARGE",
            `upload is larger than the limit of ${limit} bytes (${formatSize(limit)})`,
          )
          : new NetkitError("SIZE_MISMATCH", "body is longer than announced");
      }
      inFlight += chunk.length;
      // After a failed write nothing more is written: a kept part file must
      // hold only a prefix of the upload.
      writing = writing.then(() => failure === null ? file.write(chunk) : undefined).then(
        () => void (inFlight -= chunk.length),
        (e) => {
          failure ??= e;
        },
      );
      if (inFlight > MAX_IN_FLIGHT) await writing;
    }
    await writing;
    if (failure !== null) throw failure;
    return n;
  } finally {
    await writing; // never close the file under a queued write
    reader.cancel().catch(() => {});
  }
}

/** How an upload request went, for the metrics: its end (none for a piece held), its bytes. */
interface Tally {
  result: UploadResult | null;
  bytes: number;
}

/** Answers `PUT` (and `PATCH`): a plain or resumable upload. */
export async function handleUpload(
  ctx: WriteContext,
  req: Request,
  path: UrlPath,
): Promise<Response> {
  const tally: Tally = { result: "refused", bytes: 0 };
  try {
    return await upload(ctx, req, path, tally);
  } finally {
    if (ctx.metrics) {
      ctx.metrics.received(tally.bytes);
      if (tally.result) ctx.metrics.upload(tally.result);
    }
  }
}

async function upload(
  ctx: WriteContext,
  req: Request,
  path: UrlPath,
  tally: Tally,
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
        `upload is larger than the limit of ${max} bytes (${formatSize(max)})`,
        common,
      );
    }
    const overwrite = o.overwrite ?? false;
    let up: AtomicFile;
    try {
      // A request carrying no bytes writes none, so it is a status query too.
      if (slice !== null && (req.body === null || length === 0)) {
        slice = { kind: "probe", total: slice.total };
      }
      if (slice !== null && (slice.kind === "probe" || slice.start > 0)) {
        // A status query, or a slice that must continue what is held: both
        // are answered from what is there, creating nothing.
        const held = await ctx.library.heldBytes(segments, slice.total, { overwrite });
        if (slice.kind === "probe") {
          tally.result = null; // a question, not an upload
          return heldReply(200, held, slice.total, common);
        }
        if (slice.start !== held) {
          tally.result = null;
          return continuesAt(held, common);
        }
      }
      up = await ctx.library.beginUpload(segments, {
        overwrite,
        mkdir: o.mkdir ?? false,
        resumeSize: slice?.total,
      });
    } catch (e) {
      if (isNetkitError(e, "NOT_FOUND")) {
        const hint = o.mkdir ? "" : " (the server needs --mkdir)";
        return reply(409, `the folder does not exist${hint}`, common);
      }
      throw e;
    }
    await using _upload = up;
    if (slice === null) {
      const limit = Math.min(length ?? max, max);
      tally.result = "abandoned";
      const got = await drain(req.body, up, limit, length === null, ctx.stallMs);
      tally.bytes = got;
      if (length !== null && got !== length) {
        return reply(400, `body ended after ${got} of ${length} bytes`, common);
      }
      await up.commit();
      tally.result = "completed";
      return reply(201, `created ${name} (${got} bytes)`, common);
    }
    return await resumeUpload(ctx, req, up, name, slice, length, tally);
  } catch (e) {
    return writeError(e, common);
  }
}

async function resumeUpload(
  ctx: WriteContext,
  req: Request,
  up: AtomicFile,
  name: string,
  slice: UploadSlice,
  length: number | null,
  tally: Tally,
): Promise<Response> {
  const common = ctx.common;
  // Probes were answered before the part file was opened.
  if (slice.kind === "probe") throw new Error("unreachable: a probe opens no part file");
  // A first slice that meets bytes already held, or another upload moved on meanwhile.
  if (slice.start !== up.offset) return continuesAt(up.offset, common);
  if (length !== null && length !== slice.length) {
    return reply(400, "Content-Length does not match Content-Range", common);
  }
  await up.file.seek(up.offset, Deno.SeekMode.Start);
  // A body cut short leaves every chunk written so far in the part file: the
  // next attempt continues after them.
  tally.result = "abandoned";
  const got = await drain(req.body, up, slice.length, false, ctx.stallMs);
  tally.bytes = got;
  const now = up.offset + got;
  if (got === 0 && slice.length > 0) {
    // No bytes came (a PATCH without a body, say): a status query, which
    // leaves no part file of its own behind.
    if (now === 0) await up.abort(true);
    return heldReply(200, now, slice.total, common);
  }
  if (now < slice.total) {
    tally.result = null; // a piece held; the upload goes on
    return heldReply(202, now, slice.total, common);
  }
  await up.commit();
  tally.result = "completed";
  return reply(201, `created ${name} (${slice.total} bytes)`, common);
}

/** 200 or 202: how much of a resumable upload is held, in `Upload-Offset` too. */
function heldReply(status: 200 | 202, held: number, total: number, common: Common): Response {
  return reply(status, `${held} of ${total} bytes held`, [...common, ["upload-offset", `${held}`]]);
}

/** 416 for a slice that does not start where the bytes held end. */
function continuesAt(held: number, common: Common): Response {
  const why = `the upload continues at byte ${held}`;
  return reply(416, why, [...common, ["upload-offset", `${held}`]]);
}

/** A `DELETE` naming a resumable upload's size: it cancels that upload (part of uploading). */
export function isUploadCancel(req: Request): boolean {
  return req.method === "DELETE" && cancelledUploadSize(req.headers) !== null;
}

/**
 * The size of the resumable upload a `DELETE` names with `Upload-Length: N`
 * or `Content-Range: bytes *\/N`: such a `DELETE` cancels that upload
 * rather than deleting the file. Null for a plain `DELETE`, NaN when the
 * header is malformed.
 */
export function cancelledUploadSize(headers: Headers): number | null {
  const length = headers.get("upload-length");
  const range = headers.get("content-range");
  if (length === null && range === null) return null;
  if (length !== null) return parseLength(length) ?? NaN;
  const slice = parseContentRange(range!);
  return slice?.kind === "probe" ? slice.total : NaN;
}

/**
 * Answers a `DELETE` that cancels a resumable upload: its part file goes
 * (204), 404 when there is none of that size, 409 while an upload writes it.
 */
export async function handleUploadCancel(
  ctx: WriteContext,
  req: Request,
  path: UrlPath,
): Promise<Response> {
  const size = cancelledUploadSize(req.headers);
  if (size === null || Number.isNaN(size)) {
    return reply(400, "cancel with Upload-Length: N or Content-Range: bytes */N", ctx.common);
  }
  try {
    await ctx.library.cancelUpload(checkTarget(ctx, path), size);
    return new Response(null, { status: 204, headers: ctx.common });
  } catch (e) {
    return writeError(e, ctx.common);
  }
}
