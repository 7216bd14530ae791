/**
 * Options of the `serve-files` file server: one typed object with documented
 * defaults, checked once at start-up with errors that name the bad option.
 *
 * @module
 */

import { DEFAULT_MAX_FRAME, MIN_MAX_FRAME } from "../protocol/file/frame.ts";
import type { LogFormat } from "../core/log_format.ts";

/** Options of {@linkcode startFileServer}. */
export interface FileServerOptions {
  /** The library folder. @default "library" */
  root?: string;
  /** Address to listen on: loopback unless asked otherwise. @default "127.0.0.1" */
  hostname?: string;
  /** TCP port; 0 picks a free one. @default 7070 */
  port?: number;
  /** List and accept dot-files. @default false */
  hidden?: boolean;
  /** Refuse every upload. @default false */
  readOnly?: boolean;
  /** Connections served at once; more get a BUSY error. @default 1024 */
  maxConnections?: number;
  /** A connection silent for this long is dropped, ms. @default 30000 */
  idleTimeoutMs?: number;
  /** Largest frame payload accepted, bytes. @default 1048576 */
  maxFrame?: number;
  /** Largest upload accepted, bytes. @default 68719476736 (64 GiB) */
  maxUpload?: number;
  /** On shutdown, how long transfers in flight may take to finish, ms. @default 10000 */
  shutdownGraceMs?: number;
  /** Where request log lines go; `null` mutes them. @default console.error */
  log?: ((line: string) => void) | null;
  /** The request log's format: a line of text, or one JSON object per line. @default "clf" */
  logFormat?: LogFormat;
  /** Keep metrics (requests, bytes, connections, uploads, caches) for `metrics()`. @default false */
  metrics?: boolean;
  /** Shared secret every client must present in HELLO; `null` for none. @default null */
  token?: string | null;
  /** PEM certificate chain and key: serve over TLS; `null` for plain TCP. @default null */
  tls?: { cert: string; key: string } | null;
  /**
   * Transfers of at least this many bytes are hashed by a Worker on another
   * core; smaller ones inline. `null` decides by algorithm: SHA-256 from
   * 8 MiB on, XXH3-128 (fast enough never to stall the event loop) always
   * inline, since the Worker reads the file a second time.
   * `Infinity` hashes everything inline.
   * @default null
   */
  hashOffloadMinBytes?: number | null;
}

/** {@linkcode FileServerOptions} with every default filled in. */
export type ResolvedFileServerOptions = Required<FileServerOptions>;

/** The defaults, for help texts and tests. */
export const FILE_SERVER_DEFAULTS: ResolvedFileServerOptions = {
  root: "library",
  hostname: "127.0.0.1",
  port: 7070,
  hidden: false,
  readOnly: false,
  maxConnections: 1024,
  idleTimeoutMs: 30_000,
  maxFrame: DEFAULT_MAX_FRAME,
  maxUpload: 64 * 1024 ** 3,
  shutdownGraceMs: 10_000,
  log: (line) => console.error(line),
  logFormat: "clf",
  metrics: false,
  token: null,
  tls: null,
  hashOffloadMinBytes: null,
};

function check(ok: boolean, name: string, want: string, got: unknown): void {
  if (!ok) throw new RangeError(`${name} must be ${want}, got ${got}`);
}

/**
 * Fills in defaults and checks every value.
 *
 * @throws {RangeError} naming the first bad option
 */
export function resolveFileServerOptions(
  options: FileServerOptions = {},
): ResolvedFileServerOptions {
  const o: ResolvedFileServerOptions = { ...FILE_SERVER_DEFAULTS };
  for (const [k, v] of Object.entries(options)) {
    if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  }
  const int = (n: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
    Number.isSafeInteger(n) && n >= min && n <= max;
  check(o.root !== "", "root", "a folder", "''");
  check(int(o.port, 0, 65535), "port", "0 to 65535", o.port);
  check(
    int(o.maxConnections, 1),
    "maxConnections",
    "at least 1",
    o.maxConnections,
  );
  check(
    int(o.idleTimeoutMs, 100),
    "idleTimeoutMs",
    "at least 100",
    o.idleTimeoutMs,
  );
  check(
    int(o.maxFrame, MIN_MAX_FRAME, 64 * 1024 * 1024),
    "maxFrame",
    `from ${MIN_MAX_FRAME} to 64 MiB`,
    o.maxFrame,
  );
  check(int(o.maxUpload, 0), "maxUpload", "0 or more", o.maxUpload);
  check(
    int(o.shutdownGraceMs, 0),
    "shutdownGraceMs",
    "0 or more",
    o.shutdownGraceMs,
  );
  return o;
}

/** True when a transfer of `size` bytes hashed with `hash` goes to a hash Worker. */
export function offloadHash(
  options: ResolvedFileServerOptions,
  size: number,
  hash: string,
): boolean {
  const min = options.hashOffloadMinBytes ?? (hash === "sha256" ? 8 << 20 : Infinity);
  return size >= min;
}
