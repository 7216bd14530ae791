/**
 * `netkit http`: the command line of the static HTTP server. Parses flags
 * into {@linkcode HttpServerOptions}, starts the server, prints where it
 * listens, and shuts down gracefully on SIGINT or SIGTERM (a second signal,
 * or 10 s without the requests in flight finishing, stops it at once).
 *
 * @module
 */

import {
  parseDuration,
  parseFlags,
  parseIntFlag,
  parsePort,
  readPem,
  UsageError,
} from "../core/cli_args.ts";
import { AccessRules } from "../core/access_rules.ts";
import { DEFAULT_PORT, type HttpServerOptions } from "./options.ts";
import { parseWebArgs, WEB_FLAGS } from "./web_cli.ts";
import { startHttpServer } from "./server.ts";
import { formatHostPort } from "../core/net.ts";
import { onShutdownSignal } from "../core/signals.ts";
import { listenError } from "../core/listen_error.ts";

/** One line for `netkit --help`. */
export const SUMMARY = "serve a folder over HTTP/1.1 (and HTTP/2 over TLS)";

/** The full `netkit http --help` text. */
export const USAGE = `Usage: netkit http --root DIR [options]

Serves DIR over HTTP: GET and HEAD, ranges, ETag and Last-Modified
validators, gzip/br compression, folder listings, HTTPS with HTTP/2.

Options:
  --root DIR             folder to serve (required; or one positional DIR)
  --host HOST            address to listen on (default 127.0.0.1)
  --port PORT            port to listen on, 0 for any (default ${DEFAULT_PORT})
  --workers N            Worker isolates sharing the port (default 1)
  --cert FILE            PEM certificate chain: serve HTTPS (needs --key)
  --key FILE             PEM private key
  --no-listing           answer 403 for folders without index.html
  --hidden               serve dot-files such as .env and .git
  --follow-symlinks      follow symlinks that lead outside the root
  --cors                 add Access-Control-Allow-Origin: *
  --spa                  serve /index.html for paths that do not exist
  --cache-control VALUE  Cache-Control header for files
  --revalidate DURATION  re-check a cached small file at most this often
                         (default 1s; 0 = on every request)
  --no-compress          never compress responses
  --quiet                no access log on stderr
  -h, --help             show this help

Uploads and other writes (off by default; every write needs credentials):
  --upload               accept PUT /path/name (curl -T FILE URL), resumable
                         with Content-Range; the listing page gets an upload box
  --overwrite            let an upload replace an existing file (else 409)
  --max-upload SIZE      refuse larger uploads with 413 (e.g. 10G)
  --mkdir                allow MKCOL, and uploads that create folders
  --delete               allow DELETE of files and empty folders
  --auth USER:PASSWORD   HTTP Basic credentials (needs TLS or a loopback
                         address, unless --insecure-auth)
  --users FILE           accounts from an htpasswd file (htpasswd -B), re-read
                         when it changes
  --token TOKEN          bearer token (also from NETKIT_TOKEN)
  --auth-read            require the credentials for reading too
  --allow PATH:PERMS:WHO who may do what where (repeatable): PERMS of r (read,
                         list), w (upload, make folders), d (delete); WHO names
                         users, * (signed in), - (everyone) or @NET; the
                         longest matching PATH decides; no rule, no access.
                         e.g. --allow /:r:- --allow /drop:w:- (docs/access.md)
  --insecure-auth        allow credentials over plain HTTP on a network address
  --no-archive           do not offer folders as ?archive=zip / ?archive=tar.gz

WebDAV (mount the folder in Finder, Explorer, GNOME Files, davfs2, rclone):
  --webdav               answer WebDAV (class 1 and 2: PROPFIND, LOCK...);
                         --upload allows PUT (replacing files), COPY, MOVE,
                         PROPPATCH, LOCK; --mkdir MKCOL; --delete DELETE and
                         the source of a MOVE
  --macos-files MODE     Finder's ._* and .DS_Store files: refuse (default),
                         hide (accepted, never kept) or keep (needs --hidden)`;

const FLAGS = {
  root: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  workers: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  "no-listing": { type: "boolean" },
  hidden: { type: "boolean" },
  "follow-symlinks": { type: "boolean" },
  cors: { type: "boolean" },
  spa: { type: "boolean" },
  "cache-control": { type: "string" },
  revalidate: { type: "string" },
  "no-compress": { type: "boolean" },
  quiet: { type: "boolean" },
  ...WEB_FLAGS,
} as const;

/** Turns command-line arguments into server options (no file reads). */
export function parseHttpArgs(
  args: string[],
): HttpServerOptions & { certFile?: string; keyFile?: string } {
  const { values: v, positionals } = parseFlags(args, FLAGS, "http");
  if (positionals.length > 1 || (positionals.length === 1 && v.root)) {
    throw new UsageError(`unexpected argument '${positionals.at(-1)}'`, "http");
  }
  const root = v.root ?? positionals[0];
  if (!root) throw new UsageError("--root DIR is required", "http");
  if ((v.cert === undefined) !== (v.key === undefined)) {
    throw new UsageError("--cert and --key go together", "http");
  }
  const cacheControl = v["cache-control"];
  if (cacheControl !== undefined && /[\r\n\0]/.test(cacheControl)) {
    throw new UsageError("--cache-control: must be one line", "http");
  }
  return {
    root,
    hostname: v.host ?? "127.0.0.1",
    port: v.port === undefined ? DEFAULT_PORT : parsePort(v.port),
    workers: v.workers === undefined ? 1 : parseIntFlag(v.workers, "--workers", 1, 64),
    certFile: v.cert,
    keyFile: v.key,
    listing: !v["no-listing"],
    hidden: v.hidden ?? false,
    followSymlinks: v["follow-symlinks"] ?? false,
    cors: v.cors ?? false,
    spa: v.spa ?? false,
    cacheControl,
    compress: !v["no-compress"],
    revalidate: v.revalidate === undefined ? 1000 : parseDuration(v.revalidate, "--revalidate"),
    quiet: v.quiet ?? false,
    ...parseWebArgs(v, v.host ?? "127.0.0.1", v.cert !== undefined),
  };
}

/** Runs `netkit http`; resolves to the exit code once the server has stopped. */
export async function main(args: string[]): Promise<number> {
  const { certFile, keyFile, ...options } = parseHttpArgs(args);
  if (certFile && keyFile) {
    options.cert = await readPem(certFile, "--cert");
    options.key = await readPem(keyFile, "--key");
  }
  for (const r of AccessRules.parse(options.allow ?? []).anonymousWrites()) {
    console.error(`netkit http: warning: --allow ${r.text} lets people write without signing in`);
  }
  const server = await startHttpServer(options).catch((e) => {
    if (String(e?.message).startsWith("--users")) throw new UsageError(e.message, "http");
    throw listenError(e, {
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? DEFAULT_PORT,
      tls: certFile && keyFile ? { certFile, keyFile } : null,
    });
  });
  const workers = options.workers ?? 1;
  const { hostname, port } = server.addr;
  console.error(
    `netkit http: serving ${options.root} on ${formatHostPort(hostname, port)} (${server.url}` +
      (workers > 1 ? `, ${workers} workers` : "") + ")",
  );
  // A second signal, or 10 s of requests still in flight, ends the process:
  // main() returns and main.ts exits, closing every connection.
  const { promise: forced, resolve: force } = Promise.withResolvers<void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  using _signals = onShutdownSignal((count) => {
    if (count > 1) return force();
    console.error("netkit http: shutting down (again to force)");
    timer = setTimeout(force, 10_000);
    server.shutdown();
  });
  try {
    await Promise.race([server.finished, forced]);
  } finally {
    clearTimeout(timer);
  }
  console.error("netkit http: stopped");
  return 0;
}
