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
} from "../core/cli/cli_args.ts";
import { defineCommand, parseCommand } from "../core/cli/command_line.ts";
import { formatSettings } from "../core/cli/print_config.ts";
import { noticeLine } from "../core/ops/log_format.ts";
import { openAdmin, parseAdmin, parseLogFormat, SERVICE_FLAGS } from "../core/ops/service_admin.ts";
import { AtomicFile } from "../core/library/atomic_file.ts";
import { checkWritable, downloadPath, openLocalFile } from "../core/cli/local_file.ts";
import { entryExists } from "../core/library/jail_fs.ts";
import { baseName } from "../core/cli/local_path.ts";
import { type TftpClientOptions, tftpGet, tftpPut } from "./client.ts";
import { DEFAULT_TFTP_PORT, startTftpServer } from "./server.ts";
import { parseNetRange } from "../core/net/net_range.ts";
import { formatSize } from "../core/text/format.ts";
import { printableName } from "../core/text/printable.ts";
import { ProgressLine } from "../core/text/progress.ts";
import { formatHostPort } from "../core/net/net.ts";
import { onShutdownSignal } from "../core/cli/signals.ts";
import { listenError } from "../core/net/listen_error.ts";

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
  --port N               UDP port (default ${DEFAULT_TFTP_PORT}; 0 picks a free one)
  --allow-read NET       only clients in NET may read (repeatable; e.g.
                         10.0.0.0/8, ::1; default: everyone)
  --allow-write [NET]    accept uploads (off by default), from NET only when
                         given (repeatable)
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
  --overwrite            get: replace an existing local file (refused otherwise)
  HOST's port defaults to 69. get writes DEST (default: FILE's base name;
  a folder: that name in it; '-' for stdout) only once the whole file has
  arrived.

Both:
  --config FILE          read settings from FILE's "tftp" (serve) or
                         "tftp-client" (get, put) section (JSONC)
  --print-config         print the settings in effect and exit`;

/** The flags of `netkit tftp serve`, its config section and their defaults. */
export const SERVE_COMMAND = defineCommand("tftp", "tftp", {
  root: { type: "string", path: true },
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: String(DEFAULT_TFTP_PORT) },
  "allow-read": { type: "string", multiple: true },
  "allow-write": { type: "string", multiple: true },
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
  overwrite: { type: "boolean", default: false },
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
  // A bare --allow-write (as before it took a range) means from anywhere.
  const spelled = args.map((a, i) =>
    a === "--allow-write" && (i + 1 >= args.length || args[i + 1].startsWith("-"))
      ? "--allow-write=any"
      : a
  );
  const settings = parseCommand(spelled, SERVE_COMMAND);
  const { values: v, positionals } = settings;
  if (positionals.length) {
    throw new UsageError(`unexpected argument '${positionals[0]}'`);
  }
  if (!v.root) throw new UsageError("serve needs --root DIR");
  const root = v.root;
  const writeFrom = v["allow-write"];
  const { admin, logFormat, ...options } = settings.explain(() => {
    for (
      const [flag, nets] of [["--allow-read", v["allow-read"]], [
        "--allow-write",
        writeFrom,
      ]] as const
    ) {
      for (const n of nets ?? []) {
        if (flag === "--allow-write" && n === "any") continue;
        try {
          parseNetRange(n);
        } catch (e) {
          throw new UsageError(`${flag}: ${(e as Error).message}`, "tftp");
        }
      }
    }
    return {
      admin: parseAdmin(v.admin),
      logFormat: parseLogFormat(v["log-format"]),
      root,
      hostname: v.host,
      port: parsePort(v.port),
      allowWrite: writeFrom !== undefined && writeFrom.length > 0,
      readFrom: v["allow-read"],
      writeFrom: writeFrom?.includes("any") ? undefined : writeFrom,
      overwrite: v.overwrite,
      maxWriteSize: parseSize(v["max-write-size"], "--max-write-size"),
      maxTransfers: parseIntFlag(v["max-transfers"], "--max-transfers", 1, 100_000),
      maxPerHost: parseIntFlag(v["max-per-host"], "--max-per-host", 1, 100_000),
      maxBlksize: parseIntFlag(v["max-blksize"], "--max-blksize", 512, MAX_BLKSIZE),
      maxWindowsize: parseIntFlag(v["max-windowsize"], "--max-windowsize", 1, 1024),
      timeoutMs: timeoutFlag(v.timeout),
      retries: parseIntFlag(v.retries, "--retries", 0, 100),
    };
  });
  if (settings.printConfig) {
    console.log(formatSettings(settings));
    return 0;
  }
  const server = await startTftpServer({
    ...options,
    logFormat,
    metrics: admin !== null,
    log: v.quiet ? undefined : (line) => console.error(line),
  }).catch((e) => {
    throw listenError(e, { hostname: options.hostname, port: options.port, transport: "udp" });
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
  if (v.overwrite && kind === "put") {
    throw new UsageError("--overwrite goes with get (for uploads the server decides)");
  }
  const { hostname, port } = parseHostPort(hostPort, 69);
  const quiet = v.quiet || third === "-";
  const progress = new ProgressLine(printableName(file), { enabled: quiet ? false : undefined });
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
      ? await get(file, third, options, v.overwrite ?? false)
      : await put(file, third ?? baseName(file), options);
    progress.done();
    if (!quiet) {
      const s = (performance.now() - t0) / 1000;
      console.error(
        `${kind} ${printableName(file)}: ${formatSize(bytes)} in ${s.toFixed(2)} s`,
      );
    }
    return 0;
  } catch (e) {
    progress.done();
    const why = e instanceof Error ? e.message : String(e);
    throw new NetkitError(
      isNetkitError(e) ? e.code : "INTERNAL",
      why.startsWith(`${file}: `) ? `tftp ${kind} ${why}` : `tftp ${kind} ${file}: ${why}`,
    );
  }
}

/** `remote`'s base name, or undefined when it has none. */
function defaultName(remote: string): string | undefined {
  try {
    return baseName(remote);
  } catch {
    return undefined;
  }
}

async function get(
  remote: string,
  destArg: string | undefined,
  o: TftpClientOptions,
  overwrite: boolean,
): Promise<number> {
  if (destArg === "-") {
    return (await tftpGet(remote, Deno.stdout, o)).bytes;
  }
  const dest = await downloadPath(destArg, defaultName(remote));
  if (!overwrite && await entryExists(dest)) {
    throw new NetkitError("EXISTS", `${dest} exists already (use --overwrite to replace it)`);
  }
  await checkWritable(dest);
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
  await out.commit(overwrite);
  return r.bytes;
}

async function put(
  local: string,
  remote: string,
  o: TftpClientOptions,
): Promise<number> {
  const { file, info } = await openLocalFile(local);
  using _file = file;
  return (await tftpPut(remote, file, info.size, o)).bytes;
}
