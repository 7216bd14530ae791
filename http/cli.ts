/**
 * `netkit http`: the command line of the static HTTP server. Parses flags
 * into {@linkcode HttpServerOptions}, starts the server, prints where it
 * listens, and shuts down gracefully on SIGINT or SIGTERM (a second signal,
 * or 10 s without the requests in flight finishing, stops it at once).
 *
 * @module
 */

import {
  type HostPort,
  parseDuration,
  parseIntFlag,
  parsePort,
  readPem,
  UsageError,
} from "../core/cli/cli_args.ts";
import { AccessRules } from "../core/access/access_rules.ts";
import { defineCommand, parseCommand, type SettingsOf } from "../core/cli/command_line.ts";
import { formatSettings } from "../core/cli/print_config.ts";
import { DEFAULT_PORT, type HttpServerOptions } from "./options.ts";
import { parseWebArgs, WEB_FLAGS } from "./web_cli.ts";
import { startHttpServer } from "./server.ts";
import { formatHostPort } from "../core/net/net.ts";
import { onShutdownSignal } from "../core/cli/signals.ts";
import { listenError } from "../core/net/listen_error.ts";
import { noticeLine } from "../core/ops/log_format.ts";
import { parseMode } from "../core/net/unix_socket.ts";
import { openAdmin, parseAdmin, parseLogFormat, SERVICE_FLAGS } from "../core/ops/service_admin.ts";

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
  --log-format FORMAT    access log as clf (Combined Log Format) or json
                         (default clf)
  --socket PATH          listen on this unix socket instead of --host/--port
                         (for a reverse proxy on this host); a stale socket
                         file is replaced, a live one is not
  --socket-mode MODE     the socket file's mode in octal, e.g. 660
  --admin [HOST:]PORT    serve /health and /metrics on this address (default
                         off; loopback when only a port is given)
  --config FILE          read settings from FILE's "http" section (JSONC)
  --print-config         print the settings in effect (secrets masked) and exit
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

/** The flags of `netkit http`, its config section and their defaults. */
export const COMMAND = defineCommand("http", "http", {
  root: { type: "string", path: true },
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: String(DEFAULT_PORT) },
  workers: { type: "string", default: "1" },
  cert: { type: "string", path: true },
  key: { type: "string", path: true },
  "no-listing": { type: "boolean", default: false },
  hidden: { type: "boolean", default: false },
  "follow-symlinks": { type: "boolean", default: false },
  cors: { type: "boolean", default: false },
  spa: { type: "boolean", default: false },
  "cache-control": { type: "string" },
  revalidate: { type: "string", default: "1s" },
  "no-compress": { type: "boolean", default: false },
  quiet: { type: "boolean", default: false },
  socket: { type: "string", path: true },
  "socket-mode": { type: "string" },
  ...WEB_FLAGS,
  ...SERVICE_FLAGS,
});

/** What the command line asks of `netkit http`: server options, files to read, the admin endpoint. */
export type HttpArgs = HttpServerOptions & {
  certFile?: string;
  keyFile?: string;
  admin: HostPort | null;
};

/** Turns merged settings into server options (no file reads). */
export function httpOptions(settings: SettingsOf<typeof COMMAND>): HttpArgs {
  const { values: v, positionals, sources } = settings;
  if (positionals.length > 1 || (positionals.length === 1 && v.root)) {
    throw new UsageError(`unexpected argument '${positionals.at(-1)}'`, "http");
  }
  const root = v.root ?? positionals[0];
  if (!root) throw new UsageError("--root DIR is required", "http");
  if ((v.cert === undefined) !== (v.key === undefined)) {
    throw new UsageError("--cert and --key go together", "http");
  }
  return settings.explain(() => {
    const cacheControl = v["cache-control"];
    if (cacheControl !== undefined && /[\r\n\0]/.test(cacheControl)) {
      throw new UsageError("--cache-control: must be one line", "http");
    }
    const workers = parseIntFlag(v.workers, "--workers", 1, 64);
    const socket = v.socket;
    if (socket !== undefined) {
      const clash = ["host", "port", "cert"].find((k) =>
        sources[k] && sources[k].kind !== "default"
      );
      if (clash === "cert") {
        throw new UsageError("--socket serves plain HTTP to a local proxy: no --cert or --key");
      }
      if (clash) throw new UsageError(`--socket replaces --host and --port: drop --${clash}`);
      if (workers > 1) throw new UsageError("--socket serves from one isolate: no --workers");
      if (socket === "") throw new UsageError("--socket: expected a path");
    } else if (v["socket-mode"] !== undefined) {
      throw new UsageError("--socket-mode goes with --socket");
    }
    return {
      root,
      hostname: v.host,
      port: parsePort(v.port),
      workers,
      certFile: v.cert,
      keyFile: v.key,
      listing: !v["no-listing"],
      hidden: v.hidden,
      followSymlinks: v["follow-symlinks"],
      cors: v.cors,
      spa: v.spa,
      cacheControl,
      compress: !v["no-compress"],
      revalidate: parseDuration(v.revalidate, "--revalidate"),
      quiet: v.quiet,
      logFormat: parseLogFormat(v["log-format"]),
      socket,
      socketMode: v["socket-mode"] === undefined
        ? undefined
        : parseMode(v["socket-mode"], "--socket-mode"),
      admin: parseAdmin(v.admin),
      // A unix socket is reached only on this host, through its proxy.
      ...parseWebArgs(v, socket === undefined ? v.host : "localhost", v.cert !== undefined),
    };
  });
}

/** Turns command-line arguments into server options (no file reads but `--config`). */
export function parseHttpArgs(args: string[]): HttpArgs {
  return httpOptions(parseCommand(args, COMMAND));
}

/** Runs `netkit http`; resolves to the exit code once the server has stopped. */
export async function main(args: string[]): Promise<number> {
  const settings = parseCommand(args, COMMAND);
  const { certFile, keyFile, admin, ...options } = httpOptions(settings);
  if (certFile && keyFile) {
    await settings.explain(async () => {
      options.cert = await readPem(certFile, "--cert");
      options.key = await readPem(keyFile, "--key");
    });
  }
  if (settings.printConfig) {
    console.log(formatSettings(settings));
    return 0;
  }
  const format = options.logFormat ?? "clf";
  const notice = (message: string, level?: "warning") =>
    console.error(noticeLine(format, "http", message, level));
  for (const r of AccessRules.parse(options.allow ?? []).anonymousWrites()) {
    notice(`--allow ${r.text} lets people write without signing in`, "warning");
  }
  const server = await startHttpServer({ ...options, metrics: admin !== null }).catch((e) => {
    if (String(e?.message).startsWith("--users")) throw new UsageError(e.message, "http");
    if (options.socket !== undefined && e instanceof Deno.errors.AddrInUse) {
      throw new Error(`address in use: ${options.socket}`);
    }
    throw listenError(e, {
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? DEFAULT_PORT,
      tls: certFile && keyFile ? { certFile, keyFile } : null,
    });
  });
  const workers = options.workers ?? 1;
  const where = "path" in server.addr
    ? `unix socket ${server.addr.path}`
    : formatHostPort(server.addr.hostname, server.addr.port);
  notice(
    `serving ${options.root} on ${where} (${server.url}` +
      (workers > 1 ? `, ${workers} workers` : "") + ")",
  );
  const adminServer = await openAdmin(admin, {
    root: options.root,
    writable: (options.upload || options.mkdir || options.delete) ?? false,
    service: server,
  }, { notice, abandon: () => server.abort() });
  // A second signal, or 10 s of requests still in flight, ends the process:
  // main() returns and main.ts exits, closing every connection.
  const { promise: forced, resolve: force } = Promise.withResolvers<void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  using _signals = onShutdownSignal((count) => {
    if (count > 1) return force();
    notice("shutting down (again to force)");
    timer = setTimeout(force, 10_000);
    server.shutdown();
  });
  try {
    await Promise.race([server.finished, forced]);
  } finally {
    clearTimeout(timer);
    await adminServer?.close();
  }
  notice("stopped");
  return 0;
}
