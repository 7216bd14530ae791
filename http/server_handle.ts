/**
 * What starting `netkit http` gives back, however it runs (one isolate or a
 * Worker pool): the bound address and URL, a graceful `shutdown()`, an
 * abrupt `abort()`, metrics, and `await using` support.
 *
 * @module
 */

import { formatHostPort } from "../core/net/net.ts";
import type { UserFile } from "../core/access/users.ts";
import type { MetricsSnapshot } from "../core/ops/metrics.ts";

/** A running server. */
export interface HttpServerHandle extends AsyncDisposable {
  /** The bound address (the real port when 0 was asked for), or the unix socket. */
  readonly addr: Deno.NetAddr | Deno.UnixAddr;
  /** `http://host:port/` or `https://...`; `http+unix://` and the path for a socket. */
  readonly url: string;
  /** The accounts of `--users` (in this isolate only: null with Workers). */
  readonly users: UserFile | null;
  /** Settles when every listener has closed. */
  readonly finished: Promise<void>;
  /** Why the server would turn requests away now (shutting down), or null. */
  readonly refusing: string | null;
  /** The metrics of every isolate serving (none unless `metrics` is on). */
  metrics(): Promise<MetricsSnapshot[]>;
  /** Stops accepting, lets requests in flight finish; safe twice. */
  shutdown(): Promise<void>;
  /**
   * Closes everything at once; safe twice. Once `shutdown()` has begun this
   * does nothing for a single-isolate server (Deno cannot abort a server
   * that is shutting down): end the process instead.
   */
  abort(): void;
}

/** The URL of a server bound to `addr`. */
export function serverUrl(addr: Deno.NetAddr | Deno.UnixAddr, tls: boolean): string {
  if ("path" in addr) return `http+unix://${encodeURIComponent(addr.path)}/`;
  return `${tls ? "https" : "http"}://${formatHostPort(addr.hostname, addr.port)}/`;
}
