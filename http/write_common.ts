/**
 * What every write of `netkit http` shares: its context, plain-text
 * answers, the mapping of typed errors to statuses, the checked target name,
 * and the jailed walk to (and, with `--mkdir`, creation of) the folder that
 * will hold it. Used by uploads (`upload.ts`) and folder operations
 * (`folder_ops.ts`).
 *
 * @module
 */

import { isNetkitError, NetkitError } from "../core/errors.ts";
import { joinInRoot } from "../core/jail.ts";
import { fsError, resolveInside } from "../core/jail_fs.ts";
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

/** The target's segments: a file name is needed, hidden names only with `--hidden`. */
export function checkTarget(ctx: WriteContext, path: UrlPath): string[] {
  if (path.segments.length === 0 || path.slash) {
    throw new NetkitError("INVALID_NAME", "a file name is needed (the path ends with /)");
  }
  if (path.hidden && !ctx.hidden) {
    throw new NetkitError("INVALID_NAME", "hidden names are not allowed");
  }
  return path.segments;
}
