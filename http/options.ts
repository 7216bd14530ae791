/**
 * The options of `netkit http`: one typed object with documented defaults,
 * split into what the request handler needs and what the server needs.
 *
 * @module
 */

import type { WebOptions } from "./web_options.ts";
import type { LogFormat } from "../core/ops/log_format.ts";

/** What the static handler serves and how (writes and credentials: {@linkcode WebOptions}). */
export interface StaticOptions extends WebOptions {
  /** The folder to serve (resolved to its canonical path at start). */
  root: string;
  /** Show a listing for folders without `index.html`. @default true */
  listing?: boolean;
  /** Serve dot-files and dot-folders. @default false */
  hidden?: boolean;
  /** Follow symlinks whose target lies outside the root. @default false */
  followSymlinks?: boolean;
  /** Add `Access-Control-Allow-Origin: *`. @default false */
  cors?: boolean;
  /** Serve `/index.html` for paths that do not exist. @default false */
  spa?: boolean;
  /** A `Cache-Control` value for files; none when unset. */
  cacheControl?: string;
  /** Compress text with br or gzip when the client accepts it. @default true */
  compress?: boolean;
  /** Keep files up to this size in memory, revalidated by size and mtime. @default 1 MiB */
  cacheFileMax?: number;
  /** Total bytes of file contents kept in memory. @default 64 MiB */
  cacheBytes?: number;
  /**
   * How long a hot small file's last check stays good before the next
   * request `stat`s it again, in ms; an edit can go unseen this long.
   * 0 checks on every request.
   * @default 1000
   */
  revalidate?: number;
  /**
   * Abort a streamed response whose client has not taken data for this long
   * (a slow-read client cannot hold a file open forever), in ms. 0 disables.
   * @default 60000
   */
  stallTimeout?: number;
  /** WebDAV: the longest lock granted, in seconds. @default 3600 */
  maxLockSeconds?: number;
  /** The clock of lock timeouts, ms (tests make it virtual). @default Date.now */
  clock?: () => number;
}

/** Where and how the server listens, on top of {@linkcode StaticOptions}. */
export interface HttpServerOptions extends StaticOptions {
  /** Address to listen on. @default "127.0.0.1" */
  hostname?: string;
  /** Port to listen on; 0 picks a free one. @default 8000 */
  port?: number;
  /** PEM certificate chain for HTTPS (HTTP/2 by ALPN), with `key`. */
  cert?: string;
  /** PEM private key for HTTPS. */
  key?: string;
  /** Worker isolates serving the same port with `reusePort`. @default 1 */
  workers?: number;
  /** Write no access log. @default false */
  quiet?: boolean;
  /** The access log's format: Combined Log Format, or one JSON object per line. @default "clf" */
  logFormat?: LogFormat;
  /** Keep metrics (requests, bytes, uploads, caches) for `metrics()`. @default false */
  metrics?: boolean;
  /**
   * Listen on this unix socket instead of `hostname:port` (for a reverse
   * proxy on the same host). A stale socket file is replaced; one a server
   * answers on is not. Not with `workers` above 1, nor TLS.
   */
  socket?: string;
  /** The socket file's mode, e.g. `0o660`. @default as the umask leaves it */
  socketMode?: number;
}

/** The default port of `netkit http`. */
export const DEFAULT_PORT = 8000;
