/**
 * `netkit serve-files`: the command line of the file server.
 *
 * @module
 */

import {
  parseDuration,
  parseIntFlag,
  parsePort,
  parseSize,
  readPem,
  sizeText,
  UsageError,
} from "../core/cli/cli_args.ts";
import { defineCommand, parseCommand } from "../core/cli/command_line.ts";
import { formatSettings } from "../core/cli/print_config.ts";
import { startFileServer, type StartFileServerOptions } from "./file_server.ts";
import { startWorkersFileServer } from "./file_workers.ts";
import { FILE_SERVER_DEFAULTS, MIN_IDLE_TIMEOUT_MS } from "./options.ts";
import { MAX_MAX_FRAME, MIN_MAX_FRAME } from "../protocol/file/frame.ts";
import { AccessRules } from "../core/access/access_rules.ts";
import { listenError } from "../core/net/listen_error.ts";
import { onShutdownSignal } from "../core/cli/signals.ts";
import { makeLibraryFolder } from "../core/library/library.ts";
import { formatHostPort, isLoopback } from "../core/net/net.ts";
import { noticeLine } from "../core/ops/log_format.ts";
import { openAdmin, parseAdmin, parseLogFormat, SERVICE_FLAGS } from "../core/ops/service_admin.ts";

/** One line for `netkit --help`. */
export const SUMMARY = "serve a library folder over netkit's TCP file protocol";

const d = FILE_SERVER_DEFAULTS;

/** The `netkit serve-files --help` text. */
export const USAGE = `Usage: netkit serve-files [options]

Serves the regular files of a library folder: many clients list, download and
upload at once over netkit's framed protocol, every transfer verified end to
end. Uploads appear only when complete and verified.

Options:
  --root DIR             library folder (default: ./${d.root}, created if missing)
  --host ADDR            address to listen on (default: ${d.hostname})
  --port N               TCP port, 0 for any free one (default: ${d.port})
  --model NAME           server model (default: async):
                           async    one async task per connection
                           loop     iterative, one client at a time
                           workers  N Worker isolates accepting on the same
                                    port (reusePort), spread over the cores
  --workers N            Workers of the workers model (default: one per core)
  --accept-queues N      listeners on the port, each with its own accept queue
                         (reusePort, Linux), to absorb connection bursts past
                         Deno's fixed backlog of 511 (default: 1)
  --read-only            refuse uploads
  --hidden               list and accept dot-files
  --max-connections N    clients served at once; more get BUSY (default: ${d.maxConnections})
  --idle-timeout TIME    drop a connection silent this long (default: ${d.idleTimeoutMs / 1000}s)
  --handshake-timeout TIME
                         drop a connection that has not completed TLS and sent
                         its HELLO this long after connecting
                         (default: ${d.handshakeTimeoutMs / 1000}s)
  --max-handshakes N     connections at once still in their handshake; a new
                         one past this closes the oldest (default: ${d.maxHandshakes})
  --max-per-address N    connections at once from one address (IPv6: one /64);
                         more get BUSY; 0 for no limit (default: ${d.maxPerAddress})
  --limit-loopback       apply --max-per-address to loopback clients too
                         (default: they are exempt)
  --max-upload SIZE      largest upload, e.g. 10G (default: 64GiB)
  --max-frame SIZE       largest frame payload (default: 1MiB)
  --shutdown-grace TIME  on SIGINT/SIGTERM, time for transfers to finish (default: ${
  d.shutdownGraceMs / 1000
}s)
  --cert FILE --key FILE serve over TLS with this PEM certificate chain and key
  --token TOKEN          require this shared token from every client; better: set
                         NETKIT_TOKEN in the environment (kept out of the process list)
  --users FILE           accounts from an htpasswd file (htpasswd -B); a client
                         signs in with 'netkit client --user NAME'
  --allow PATH:PERMS:WHO who may do what (repeatable): PATH / or /NAME, PERMS of
                         r (list, get), w (put), d (replace); WHO names users,
                         * (signed in), - (everyone) or @NET (docs/access.md)
  --hash-offload SIZE    hash transfers this large on another core, in a
                         Worker; 'off' hashes all inline (default: SHA-256
                         transfers from 8MiB, XXH3-128 inline)
  --quiet                no request log on stderr
  --log-format FORMAT    request log as clf (one line of text) or json (default: clf)
  --admin [HOST:]PORT    serve /health and /metrics on this address (default:
                         off; loopback when only a port is given)
  --config FILE          read settings from FILE's "serve-files" section (JSONC)
  --print-config         print the settings in effect (secrets masked) and exit
  -h, --help             show this help

Examples:
  netkit serve-files
  netkit serve-files --root /srv/files --host 0.0.0.0 --port 7070 --read-only`;

/** The flags of `netkit serve-files`, its config section and their defaults. */
export const COMMAND = defineCommand("serve-files", "serve-files", {
  root: { type: "string", path: true, default: d.root },
  host: { type: "string", default: d.hostname },
  port: { type: "string", default: String(d.port) },
  model: { type: "string" },
  workers: { type: "string" },
  "accept-queues": { type: "string", default: "1" },
  "read-only": { type: "boolean", default: false },
  hidden: { type: "boolean", default: false },
  "max-connections": { type: "string", default: String(d.maxConnections) },
  "idle-timeout": { type: "string", default: `${d.idleTimeoutMs / 1000}s` },
  "handshake-timeout": { type: "string", default: `${d.handshakeTimeoutMs / 1000}s` },
  "max-handshakes": { type: "string", default: String(d.maxHandshakes) },
  "max-per-address": { type: "string", default: String(d.maxPerAddress) },
  "limit-loopback": { type: "boolean", default: false },
  "max-upload": { type: "string", default: sizeText(d.maxUpload) },
  "max-frame": { type: "string", default: sizeText(d.maxFrame) },
  "shutdown-grace": { type: "string", default: `${d.shutdownGraceMs / 1000}s` },
  cert: { type: "string", path: true },
  key: { type: "string", path: true },
  token: { type: "string", secret: true, env: "NETKIT_TOKEN" },
  users: { type: "string", path: true },
  allow: { type: "string", multiple: true },
  "hash-offload": { type: "string" },
  quiet: { type: "boolean", default: false },
  ...SERVICE_FLAGS,
});

/** Runs `netkit serve-files`. */
export async function main(args: string[]): Promise<number> {
  const settings = parseCommand(args, COMMAND);
  const { values, positionals } = settings;
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError("--cert and --key go together");
  }
  const token = values.token ?? null;
  if (token === "") throw new UsageError("the token is empty");
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const model = values.model ?? (values.workers === undefined ? "async" : "workers");
  const parsed = settings.explain(() => {
    if (model !== "async" && model !== "loop" && model !== "workers") {
      throw new UsageError(`--model: expected async, loop or workers, got '${model}'`);
    }
    if (model === "workers" && Deno.build.os !== "linux") {
      throw new UsageError(
        "--model workers needs the kernel to spread one port over several listeners " +
          "(SO_REUSEPORT), which Deno offers only on Linux",
      );
    }
    if (values.workers !== undefined && model !== "workers") {
      throw new UsageError("--workers goes with --model workers");
    }
    if (settings.sources["accept-queues"].kind !== "default" && model === "loop") {
      throw new UsageError("--accept-queues goes with --model async or workers");
    }
    return {
      workers: values.workers === undefined
        ? navigator.hardwareConcurrency
        : parseIntFlag(values.workers, "--workers", 1, 256),
      admin: parseAdmin(values.admin),
      logFormat: parseLogFormat(values["log-format"]),
      options: {
        root: values.root,
        hostname: values.host,
        port: parsePort(values.port),
        model: model === "loop" ? "loop" : "async",
        acceptQueues: parseIntFlag(values["accept-queues"], "--accept-queues", 1, 64),
        readOnly: values["read-only"],
        hidden: values.hidden,
        maxConnections: parseIntFlag(values["max-connections"], "--max-connections", 1, 1_000_000),
        idleTimeoutMs: parseDuration(values["idle-timeout"], "--idle-timeout", {
          min: MIN_IDLE_TIMEOUT_MS,
        }),
        handshakeTimeoutMs: parseDuration(values["handshake-timeout"], "--handshake-timeout"),
        maxHandshakes: parseIntFlag(values["max-handshakes"], "--max-handshakes", 1, 1_000_000),
        maxPerAddress: parseIntFlag(values["max-per-address"], "--max-per-address", 0, 1_000_000),
        limitLoopback: values["limit-loopback"],
        maxUpload: parseSize(values["max-upload"], "--max-upload"),
        maxFrame: parseSize(values["max-frame"], "--max-frame", {
          min: MIN_MAX_FRAME,
          max: MAX_MAX_FRAME,
        }),
        shutdownGraceMs: parseDuration(values["shutdown-grace"], "--shutdown-grace"),
        log: values.quiet ? null : undefined,
        token,
        users: values.users ?? null,
        allow: values.allow,
        hashOffloadMinBytes: values["hash-offload"] === undefined
          ? undefined
          : values["hash-offload"] === "off"
          ? Infinity
          : parseSize(values["hash-offload"], "--hash-offload"),
      } satisfies StartFileServerOptions,
    };
  });
  const tls = values.cert === undefined ? null : await settings.explain(async () => ({
    cert: await readPem(values.cert!, "--cert"),
    key: await readPem(values.key!, "--key"),
  }));
  if (settings.printConfig) {
    console.log(formatSettings(settings));
    return 0;
  }
  const { workers, admin, logFormat, options } = parsed;
  const notice = (message: string, level?: "warning") =>
    console.error(noticeLine(logFormat, "serve-files", message, level));
  if (settings.sources.root.kind === "default") await makeLibraryFolder(options.root);

  const start = model === "workers"
    ? (o: StartFileServerOptions) => startWorkersFileServer({ ...o, workers })
    : startFileServer;
  const server = await start({ ...options, tls, logFormat, metrics: admin !== null }).catch(
    (e) => {
      if (e instanceof RangeError) throw new UsageError(e.message);
      if (values.users !== undefined && String(e).includes("--users")) {
        throw new UsageError(e.message);
      }
      throw listenError(e, {
        hostname: options.hostname,
        port: options.port,
        tls: tls && { certFile: values.cert!, keyFile: values.key! },
      });
    },
  );

  const { hostname, port } = server.addr;
  const extras = [tls ? "TLS" : "", token ? "token required" : "", values.users ? "users" : ""]
    .filter(Boolean).join(", ");
  for (const r of AccessRules.parse(values.allow ?? []).anonymousWrites()) {
    notice(`--allow ${r.text} lets people write without signing in`, "warning");
  }
  notice(
    `serving ${server.root} on ${formatHostPort(hostname, port)} (${
      model === "workers" ? `workers model, ${workers} workers` : `${model} model`
    }${extras ? `, ${extras}` : ""})`,
  );
  if ((token || values.users) && !tls && !isLoopback(hostname)) {
    notice("tokens and passwords cross the network in clear; use --cert/--key", "warning");
  }
  const adminServer = await openAdmin(
    admin,
    { root: server.root, writable: !options.readOnly, service: server },
    { notice, abandon: () => server.close() },
  );

  const stop = () => {
    notice("stopping");
    server.close();
  };
  {
    using _signals = onShutdownSignal(stop);
    await server.finished;
    await server.close();
  }
  await adminServer?.close();
  notice("stopped");
  return 0;
}
