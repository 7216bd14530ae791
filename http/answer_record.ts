/**
 * What `netkit http` records of each answer it gives: requests by method
 * and status, refusals by reason, and bytes sent in the metrics, and one
 * line in the access log.
 *
 * @module
 */

import { accessLine, type AccessLog, basicUser } from "./access_log.ts";
import type { LogFormat } from "../core/ops/log_format.ts";
import type { HotPaths } from "./hot_path.ts";
import type { Refusal, ServiceMetrics } from "../core/ops/service_metrics.ts";

/** The methods counted by name; any other counts as OTHER. */
export const HTTP_METHODS: readonly string[] = [
  "GET",
  "HEAD",
  "PUT",
  "PATCH",
  "POST",
  "DELETE",
  "OPTIONS",
  "MKCOL",
  "PROPFIND",
  "PROPPATCH",
  "COPY",
  "MOVE",
  "LOCK",
  "UNLOCK",
];

/** Statuses counted as a request turned away, by reason. */
const REFUSALS: Record<number, Refusal> = { 401: "auth", 413: "limit", 429: "limit", 503: "busy" };

/**
 * The length of the body `res` will send, when it says (never `res.body`:
 * reading it would turn a body held in memory into a stream, which
 * `Deno.serve` sends on a much slower path). Reading the headers costs a
 * little too: answers from the hot path tell their length instead.
 */
function declaredLength(req: Request, res: Response): number | null {
  if (req.method === "HEAD") return null;
  const v = res.headers.get("content-length");
  return v === null ? null : Number(v);
}

/** The request target as sent: path and query. */
function targetOf(url: string): string {
  const slash = url.indexOf("/", url.indexOf("//") + 2);
  return slash < 0 ? "/" : url.slice(slash);
}

/** The client's address: "-" behind a unix socket (the proxy's peer is not known). */
function hostOf(info: Deno.ServeHandlerInfo<Deno.Addr>): string {
  const a = info.remoteAddr;
  return a.transport === "tcp" || a.transport === "udp" ? a.hostname : "-";
}

/** `res` with its body counted into `metrics` as it streams (a body of unknown length). */
function countedBody(res: Response, metrics: ServiceMetrics): Response {
  const counted = res.body!.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        metrics.sent(chunk.length);
        out.enqueue(chunk);
      },
    }),
  );
  return new Response(counted, res);
}

/** Where {@linkcode answerRecorder} records. */
export interface AnswerRecordOptions {
  /** The metrics to count into; null when off. */
  metrics: ServiceMetrics | null;
  /** The access log; null when quiet. */
  log: AccessLog | null;
  /** The access log's line format. */
  format: LogFormat;
  /** The hot-path cache, whose last answer tells its length without headers read. */
  hot: HotPaths;
}

/**
 * A function that records the answer `res` to `req`, which took `ms`, and
 * returns the response to send: `res`, or `res` with its body counted as it
 * streams when its length is not known up front. Each request's open count
 * (taken when it arrived) is given back here.
 */
export function answerRecorder(
  o: AnswerRecordOptions,
): (
  req: Request,
  info: Deno.ServeHandlerInfo<Deno.Addr>,
  res: Response,
  ms: number,
) => Response {
  const { metrics, log, format, hot } = o;
  return (req, info, res, ms) => {
    const bytes = res === hot.lastAnswer
      ? (req.method === "HEAD" ? null : hot.lastLength)
      : declaredLength(req, res);
    if (metrics) {
      const status = res.status;
      metrics.open(-1);
      metrics.request(req.method, String(status), ms / 1000);
      const refusal = REFUSALS[status];
      if (refusal) metrics.refused(refusal);
      if (bytes !== null) metrics.sent(bytes);
      else if (req.method !== "HEAD" && res.body !== null) res = countedBody(res, metrics);
    }
    log?.log(accessLine(format, {
      host: hostOf(info),
      time: Date.now(),
      method: req.method,
      target: targetOf(req.url),
      status: res.status,
      bytes,
      referer: req.headers.get("referer"),
      userAgent: req.headers.get("user-agent"),
      user: basicUser(req.headers.get("authorization")),
      ms,
    }));
    return res;
  };
}
