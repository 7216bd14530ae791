/**
 * Options of the `serve-files` file server: one typed object with documented
 * defaults, checked once at start-up with errors that name the bad option.
 *
 * @module
 */

import { AccessRules } from "../core/access/access_rules.ts";
import { DEFAULT_MAX_FRAME, MAX_MAX_FRAME, MIN_MAX_FRAME } from "../protocol/file/frame.ts";
import type { LogFormat } from "../core/ops/log_format.ts";

/** Shortest idle timeout accepted, ms: a shorter one would drop clients between frames. */
export const MIN_IDLE_TIMEOUT_MS = 100;

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
  /**
   * A connection must have completed TLS and sent its HELLO within this
   * (the token check after it may take longer: a failure throttle's wait),
   * ms. @default 10000
   */
  handshakeTimeoutMs?: number;
  /**
   * Connections at once still in their handshake; a new one past this
   * closes the oldest of them. Split evenly among Workers. @default 256
   */
  maxHandshakes?: number;
  /**
   * Connections at once from one address (an IPv6 /64); more get BUSY.
   * Loopback clients are exempt unless `limitLoopback`. 0: no limit.
   * @default 64
   */
  maxPerAddress?: number;
  /** Apply `maxPerAddress` to loopback clients too. @default false */
  limitLoopback?: boolean;
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
  /** An htpasswd file of accounts: a HELLO may name a user, its token the password. @default null */
  users?: string | null;
  /**
   * Access rules over the flat library, `PATH:PERMS:WHO` each
   * (`core/access/access_rules.ts`; a path is `/` or `/NAME`). Without any: all may
   * read and write (the signed-in only, when a token or users are set).
   * @default []
   */
  allow?: string[];
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
  handshakeTimeoutMs: 10_000,
  maxHandshakes: 256,
  maxPerAddress: 64,
  limitLoopback: false,
  maxFrame: DEFAULT_MAX_FRAME,
  maxUpload: 64 * 1024 ** 3,
  shutdownGraceMs: 10_000,
  log: (line) => console.error(line),
  logFormat: "clf",
  metrics: false,
  token: null,
  users: null,
  allow: [],
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
    int(o.idleTimeoutMs, MIN_IDLE_TIMEOUT_MS),
    "idleTimeoutMs",
    `at least ${MIN_IDLE_TIMEOUT_MS}`,
    o.idleTimeoutMs,
  );
  check(
    int(o.handshakeTimeoutMs, 100),
    "handshakeTimeoutMs",
    "at least 100",
    o.handshakeTimeoutMs,
  );
  check(int(o.maxHandshakes, 1), "maxHandshakes", "at least 1", o.maxHandshakes);
  check(int(o.maxPerAddress, 0), "maxPerAddress", "0 or more", o.maxPerAddress);
  check(
    int(o.maxFrame, MIN_MAX_FRAME, MAX_MAX_FRAME),
    "maxFrame",
    `from ${MIN_MAX_FRAME} to 64 MiB`,
    o.maxFrame,
  );
  check(int(o.maxUpload, 0), "maxUpload", "0 or more", o.maxUpload);
  fileRulesOf(o); // a bad rule fails here, naming itself
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

/**
 * The rules in force: `allow` as given, or the rules the switches always
 * meant: everyone (with a token or users: the signed-in) may read, write
 * and replace.
 *
 * @throws {RangeError} for a bad rule
 */
export function fileRulesOf(o: ResolvedFileServerOptions): AccessRules {
  if (o.allow.length > 0) return AccessRules.parse(o.allow);
  return AccessRules.parse([`/:rwd:${o.token !== null || o.users !== null ? "*" : "-"}`]);
}
