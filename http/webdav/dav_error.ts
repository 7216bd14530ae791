/**
 * A WebDAV refusal: an HTTP status, and, where RFC 4918 names one, the
 * precondition or postcondition that failed (answered as a `DAV:error`
 * body, section 16). Handlers throw it; the layer turns it into the answer
 * in one place ({@linkcode davErrorResponse}), beside the library's own
 * error family.
 *
 * @module
 */

import { isNetkitError } from "../../core/errors.ts";
import { errorResponse, HTTP_STATUS } from "../error_status.ts";

/** A refusal with a status and, maybe, a `DAV:` condition. */
export class DavError extends Error {
  /**
   * @param status the HTTP status
   * @param message one human line (logged, and the body when there is no condition)
   * @param condition the local name of a `DAV:` precondition, e.g. `lock-token-submitted`
   * @param hrefs hrefs inside the condition element (the locked resources)
   */
  constructor(
    readonly status: number,
    message: string,
    readonly condition: string | null = null,
    readonly hrefs: readonly string[] = [],
  ) {
    super(message);
    this.name = "DavError";
  }
}

/** The `DAV:error` body for a condition, with its hrefs. */
export function conditionXml(condition: string, hrefs: readonly string[] = []): string {
  const inner = hrefs.map((h) => `<D:href>${h}</D:href>`).join("");
  return `<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><D:${condition}>${inner}</D:${condition}></D:error>\n`;
}

/** The answer for anything a WebDAV handler threw. */
export function davErrorResponse(e: unknown, common: [string, string][]): Response {
  if (e instanceof DavError) {
    if (e.condition !== null) {
      return new Response(conditionXml(e.condition, e.hrefs), {
        status: e.status,
        headers: [...common, ["content-type", "application/xml; charset=utf-8"]],
      });
    }
    return new Response(`${e.message}\n`, {
      status: e.status,
      headers: [...common, ["content-type", "text/plain; charset=utf-8"]],
    });
  }
  if (isNetkitError(e) && e.code !== "INTERNAL") {
    return new Response(`${e.message}\n`, {
      status: HTTP_STATUS[e.code],
      headers: [...common, ["content-type", "text/plain; charset=utf-8"]],
    });
  }
  const res = errorResponse(e);
  for (const [k, v] of common) res.headers.set(k, v);
  return res;
}
