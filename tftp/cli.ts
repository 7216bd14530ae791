/**
 * `netkit tftp`: the command-line front of the TFTP server and client.
 *
 * @module
 */

import { isNetkitError, NetkitError } from "../core/errors.ts";
import { MAX_BLKSIZE, MIN_BLKSIZE } from "../protocol/tftp/packet.ts";
import { MAX_WINDOWSIZE } from "../protocol/tftp/options.ts";
import {
  parseDuration,
  parseHostPort,
  parseIntFlag,
  parsePort,
  parseSize,
  UsageError,
} from "../core/cli_args.ts";
import { defineCommand, parseCommand } from "../core/command_line.ts";
import { formatSettings } from "../core/print_config.ts";
import { noticeLine } from "../core/log_format.ts";
import { openAdmin, parseAdmin, parseLogFormat, SERVICE_FLAGS } from "../core/service_admin.ts";
import { AtomicFile } from "../core/atomic_file.ts";
import { baseName } from "../core/local_path.ts";
import { type TftpClientOptions, tftpGet, tftpPut } from "./client.ts";
import { startTftpServer } from "./server.ts";
import { formatSize } from "../core/format.ts";
import { ProgressLine } from "../core/progress.ts";
import { formatHostPort } from "../core/net.ts";
import { onShutdownSignal } from "../core/signals.ts";

/** One line for `netkit --help`. */
export const SUMMARY = "TFTP server and client over UDP (RFC 1350 + options)";

/** The full `netkit tftp --help` text. */
export const USAGE = `Usage:
  netkit tftp serve --root DIR [options]
  netkit tftp get HOST[:PORT] FILE [DEST] [options]
  netkit tftp put HOST[:PORT] FILE [NAME] [options]

Serve options:
  --root DIR             folder to serve (required); nothing outside it is reachable
  --host ADDR            address to bind (default 127.0.0.1)
  --port N               UDP port (default 6969; 0 picks a free one)
  --allow-write          accept uploads (off by default)
  --overwrite            let uploads replace existing files (create-only by default)
  --max-write-size SIZE  largest upload (default 1G)
  --max-transfers N      transfers in flight at once (default 64)
  --max-per-host N       transfers in flight from one client address (default 16)
  --max-blksize N        largest block size granted (default 65464)
  --max-windowsize N     largest window granted (default 64)
  --timeout DURATION     first retransmission timeout, doubled per silent retry up to 4x (default 1s)
  --retries N            retransmissions before a transfer is dropped (default 5: 19 s)
  --quiet                no transfer log on stderr
  --log-format FORMAT    transfer log as clf (one line of text) or json (default clf)
  --admin [HOST:]PORT    serve /health and /metrics on this address (default
                         off; loopback when only a port is given)

Client options (get, put):
  --blksize N            ask for this block size (8..65464)
  --windowsize N         ask for this window (1..65535, RFC 7440)
  --netascii             text mode (line ends converted) instead of octet
  --timeout DURATION     first retransmission timeout, doubled per silent retry up to 4x (default 1s)
  --retries N            retransmissions before giving up (default 5: 19 s)
  -q, --quiet            no progress line
  HOST's port defaults to 69. get writes DEST (default: FILE's base name,
  '-' for stdout) only once the whole file has arrived.

Both:
  --config FILE          read settings from FILE's "tftp" (serve) or
                         "tftp-client" (get, put) section (JSONC)
  --print-config         print the settings in effect and exit`;

/** The flags of `netkit tftp serve`, its config section and their defaults. */
export const SERVE_COMMAND = defineCommand("tftp", "tftp", {
  root: { type: "string", path: true },
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: "6969" },
  "allow-write": { type: "boolean", default: false },
  overwrite: { type: "boolean", default: false },
  "max-write-size": { type: "string", default: "1G" },
  "max-transfers": { type: "string", default: "64" },
  "max-per-host": { type: "string", default: "16" },
  "max-blksize": { type: "string", default: String(MAX_BLKSIZE) },
  "max-windowsize": { type: "string", default: "64" },
  timeout: { type: "string", default: "1s" },
  retries: { type: "string", default: "5" },
  quiet: { type: "boolean", default: false },
  ...SERVICE_FLAGS,
});

/** The flags of `netkit tftp get` and `put`, and their config section. */
export const CLIENT_COMMAND = defineCommand("tftp", "tftp-client", {
  blksize: { type: "string" },
  windowsize: { type: "string" },
  netascii: { type: "boolean", default: false },
  timeout: { type: "string", default: "1s" },
  retries: { type: "string", default: "5" },
  quiet: { type: "boolean", short: "q", default: false },
});

/** Runs `netkit tftp ...`; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "serve":
      return await serve(rest);
    case "get":
    case "put":
      return await transfer(sub, rest);
    default:
      throw new UsageError(
        sub === undefined ? "expected serve, get or put" : `unknown tftp command '${sub}'`,
        "tftp",
      );
  }
}

function timeoutFlag(text: string): number {
  const ms = parseDuration(text, "--timeout");
  if (ms < 10 || ms > 255_000) {
    throw new UsageError("--timeout: expected 10ms to 255s");
  }
  return ms;
}

function intFlag(
  text: string | undefined,
  flag: string,
  min: number,
  max: number,
): number | undefined {
  return text === undefined ? undefined : parseIntFlag(text, flag, min, max);
}

async function serve(args: string[]): Promise<number> {
  const settings = parseCommand(args, SERVE_COMMAND);
  const { values: v, positionals } = settings;
  if (positionals.length) {
    throw new UsageError(`unexpected argument '${positionals[0]}'`);
  }
  if (!v.root) throw new UsageError("serve needs --root DIR");
  const root = v.root;
  const { admin, logFormat, ...options } = settings.explain(() => ({
    admin: parseAdmin(v.admin),
    logFormat: parseLogFormat(v["log-format"]),
    root,
    hostname: v.host,
    port: parsePort(v.port),
    allowWrite: v["allow-write"],
    overwrite: v.overwrite,
    maxWriteSize: parseSize(v["max-write-size"], "--max-write-size"),
    maxTransfers: parseIntFlag(v["max-transfers"], "--max-transfers", 1, 100_000),
    maxPerHost: parseIntFlag(v["max-per-host"], "--max-per-host", 1, 100_000),
    maxBlksize: parseIntFlag(v["max-blksize"], "--max-blksize", 512, MAX_BLKSIZE),
    maxWindowsize: parseIntFlag(v["max-windowsize"], "--max-windowsize", 1, 1024),
    timeoutMs: timeoutFlag(v.timeout),
    retries: parseIntFlag(v.retries, "--retries", 0, 100),
  }));
  if (settings.printConfig) {
    console.log(formatSettings(settings));
    return 0;
  }
  const server = await startTftpServer({
    ...options,
    logFormat,
    metrics: admin !== null,
    log: v.quiet ? undefined : (line) => console.error(line),
  });
  const { hostname, port } = server.addr;
  // On stdout, where the serving line has always been (the transfer log is on stderr).
  const notice = (message: string, level?: "warning") =>
    console.log(noticeLine(logFormat, "tftp", message, level));
  notice(
    `serving ${root} on udp ${formatHostPort(hostname, port)} (${
      options.allowWrite ? (options.overwrite ? "read-write" : "read, create") : "read-only"
    })`,
  );
  const adminServer = await openAdmin(
    admin,
    { root: server.root, writable: options.allowWrite, service: server },
    { notice, abandon: () => server.close() },
  );
  const stopped = Promise.withResolvers<void>();
  using _signals = onShutdownSignal(() => stopped.resolve());
  try {
    await stopped.promise;
  } finally {
    await server.close();
    await adminServer?.close();
  }
  return 0;
}

async function transfer(kind: "get" | "put", args: string[]): Promise<number> {
  const settings = parseCommand(args, CLIENT_COMMAND);
  const { values: v, positionals } = settings;
  if (positionals.length < 2 || positionals.length > 3) {
    throw new UsageError(
      `${kind} needs HOST[:PORT] FILE [${kind === "get" ? "DEST" : "NAME"}]`,
    );
  }
  const [hostPort, file, third] = positionals;
  const { hostname, port } = parseHostPort(hostPort, 69);
  const quiet = v.quiet || third === "-";
  const progress = new ProgressLine(file, { enabled: quiet ? false : undefined });
  const options: TftpClientOptions = settings.explain(() => ({
    hostname,
    port,
    blksize: intFlag(v.blksize, "--blksize", MIN_BLKSIZE, MAX_BLKSIZE),
    windowsize: intFlag(v.windowsize, "--windowsize", 1, MAX_WINDOWSIZE),
    mode: v.netascii ? "netascii" : "octet",
    timeoutMs: timeoutFlag(v.timeout),
    retries: parseIntFlag(v.retries, "--retries", 0, 100),
    onProgress: (bytes, total) => progress.update({ done: bytes, total }),
  }));
  if (settings.printConfig) {
    console.log(formatSettings(settings));
    return 0;
  }
  const t0 = performance.now();
  try {
    const bytes = kind === "get"
      ? await get(file, third ?? baseName(file), options)
      : await put(file, third ?? baseName(file), options);
    progress.done();
    if (!quiet) {
      const s = (performance.now() - t0) / 1000;
      console.error(
        `${kind} ${file}: ${formatSize(bytes)} in ${s.toFixed(2)} s`,
      );
    }
    return 0;
  } catch (e) {
    progress.done();
    const why = e instanceof Error ? e.message : String(e);
    throw new NetkitError(
      isNetkitError(e) ? e.code : "INTERNAL",
      `tftp ${kind} ${file}: ${why}`,
    );
  }
}

async function get(
  remote: string,
  dest: string,
  o: TftpClientOptions,
): Promise<number> {
  if (dest === "-") {
    return (await tftpGet(remote, Deno.stdout, o)).bytes;
  }
  const slash = dest.lastIndexOf("/");
  const folder = slash < 0 ? "." : dest.slice(0, slash) || "/";
  let dir: string;
  try {
    dir = await Deno.realPath(folder);
  } catch {
    throw new NetkitError("NOT_FOUND", `no folder '${folder}' for ${dest}`);
  }
  await using out = await AtomicFile.create(dir, dest.slice(slash + 1));
  const sink = {
    write: async (p: Uint8Array) => (await out.write(p), p.length),
  };
  const r = await tftpGet(remote, sink, o);
  await out.commit(true);
  return r.bytes;
}

async function put(
  local: string,
  remote: string,
  o: TftpClientOptions,
): Promise<number> {
  using file = await Deno.open(local, { read: true });
  const info = await file.stat();
  if (!info.isFile) throw new UsageError(`not a file: ${local}`);
  return (await tftpPut(remote, file, info.size, o)).bytes;
}
