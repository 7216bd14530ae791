/**
 * The admin endpoint of a service: a small HTTP listener apart from the
 * service's own port, for a load balancer's health check and Prometheus'
 * scrape. `GET /health` answers 200 `ok` while the service takes work, else
 * 503 with the reason on one line; `GET /metrics` answers the text
 * exposition format. Nothing else is served.
 *
 * @module
 */

import { EXPOSITION_CONTENT_TYPE } from "./exposition.ts";

/** What the endpoint asks of its service. */
export interface AdminSource {
  /** Null while the service takes work, else why not. */
  health(): Promise<string | null>;
  /** The metrics, rendered in the text exposition format. */
  metrics(): Promise<string>;
}

/** A running admin endpoint. */
export interface AdminServer extends AsyncDisposable {
  /** The bound address (the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** Stops it; safe twice. */
  close(): Promise<void>;
}

const PLAIN = "text/plain; charset=utf-8";

function text(status: number, body: string, extra: [string, string][] = []): Response {
  return new Response(body, {
    status,
    headers: [["content-type", PLAIN], ["cache-control", "no-store"], ...extra],
  });
}

/** The endpoint as a `Request -> Response` handler. */
export function adminHandler(source: AdminSource): (req: Request) => Promise<Response> {
  return async (req) => {
    const path = new URL(req.url).pathname;
    if (path !== "/health" && path !== "/metrics") {
      return text(404, "not found: try /health or /metrics\n");
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return text(405, "method not allowed\n", [["allow", "GET, HEAD"]]);
    }
    let res: Response;
    try {
      if (path === "/health") {
        const problem = await source.health();
        res = problem === null ? text(200, "ok\n") : text(503, `unavailable: ${problem}\n`);
      } else {
        res = new Response(await source.metrics(), {
          headers: [["content-type", EXPOSITION_CONTENT_TYPE], ["cache-control", "no-store"]],
        });
      }
    } catch (e) {
      res = text(500, `internal error: ${(e as Error).message}\n`);
    }
    return req.method === "HEAD" ? new Response(null, res) : res;
  };
}

/** Starts the admin endpoint on `hostname:port`. */
export async function startAdminServer(
  address: { hostname: string; port: number },
  source: AdminSource,
): Promise<AdminServer> {
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: address.hostname,
    port: address.port,
    onListen: resolve,
    onError: () => text(500, "internal error\n"),
  }, adminHandler(source));
  const addr = await listening;
  let closing: Promise<void> | null = null;
  const close = () => closing ??= server.shutdown().then(() => server.finished);
  return { addr, close, [Symbol.asyncDispose]: close };
}
