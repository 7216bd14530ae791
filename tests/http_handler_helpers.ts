/**
 * The whole `netkit http` handler with no socket: `await using h = await
 * handlerFor(options)`, then `h.fetch(path, init)` answers as the server
 * would, with the request from 127.0.0.1 and a thrown error answered the way
 * the server's edge answers it. Targets the URL parser would rewrite
 * (`/../x`, `/%2e%2e/x`) are refused here: those need `rawRequest` over TCP.
 *
 * @module
 */

import { createHttpHandler, type HttpHandler } from "../http/app.ts";
import { errorResponse } from "../http/error_status.ts";
import type { Peer } from "../http/handler.ts";
import type { StaticOptions } from "../http/options.ts";

/** The origin of every request `h.fetch` builds. */
export const ORIGIN = "http://127.0.0.1:8000";
const PEER: Peer = { remoteAddr: { hostname: "127.0.0.1" } };

/** A handler under test; disposing it closes the handler. */
export interface HandlerUnderTest extends AsyncDisposable {
  /** The composed handler (its `compress` cache, its `library`). */
  readonly handler: HttpHandler;
  /** Answers `path` (the request target, starting with `/`) as the server would. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/**
 * `init` with the `Content-Length` fetch would send on the wire for a
 * string or byte body (a stream goes without one, as chunked).
 */
function withLength(init: RequestInit = {}): RequestInit {
  const { body } = init;
  const headers = new Headers(init.headers);
  if (headers.has("content-length")) return init;
  if (typeof body === "string") {
    headers.set("content-length", String(new TextEncoder().encode(body).length));
  } else if (ArrayBuffer.isView(body) || body instanceof ArrayBuffer) {
    headers.set("content-length", String(body.byteLength));
  } else return init;
  return { ...init, headers };
}

/** Builds the handler for `options`. */
export async function handlerFor(options: StaticOptions): Promise<HandlerUnderTest> {
  const handler = await createHttpHandler(options);
  return {
    handler,
    async fetch(path, init) {
      const url = ORIGIN + path;
      if (!path.startsWith("/") || new URL(url).href !== url) {
        throw new Error(`the URL parser rewrites ${path}: send it with rawRequest`);
      }
      const req = new Request(url, withLength(init));
      try {
        return await handler.handle(req, PEER);
      } catch (e) {
        return errorResponse(e);
      }
    },
    [Symbol.asyncDispose]() {
      handler.close();
      return Promise.resolve();
    },
  };
}
