/**
 * `netkit client`: the prompt, or one command for scripts.
 *
 * @module
 */

import { parseDuration, parseHostPort, readPem, UsageError } from "../core/cli/cli_args.ts";
import { defineCommand, parseCommand } from "../core/cli/command_line.ts";
import { formatSettings } from "../core/cli/print_config.ts";
import { FileClient } from "./client.ts";
import { formatHostPort } from "../core/net/net.ts";
import { formatListing } from "./format.ts";
import { runRepl, safeLocalName } from "./repl.ts";
import { downloadWithProgress, uploadWithProgress } from "./transfers.ts";
import { baseName } from "../core/cli/local_path.ts";
import { downloadPath } from "../core/cli/local_file.ts";
import { printableName } from "../core/text/printable.ts";

/** One line for `netkit --help`. */
export const SUMMARY = "list, download and upload files on a netkit file server";

/** The `netkit client --help` text. */
export const USAGE = `Usage: netkit client [HOST[:PORT]] [COMMAND [ARGS]] [options]

With no COMMAND, opens the interactive prompt: a numbered menu
(1 list, 2 download, 3 upload, 4 quit) that also takes words.
With a COMMAND, runs it once and exits 0 on success, non-zero otherwise.
HOST defaults to 127.0.0.1 and PORT to 7070.

Commands:
  ls [--json]                      list the library
  get NAME [DEST] [--resume] [--overwrite]
                                   download NAME to DEST (default: ./NAME;
                                   a folder: NAME in it; '-': stdout)
  put FILE [NAME] [--resume] [--overwrite]
                                   upload FILE as NAME (default: its base name)
  cancel NAME                      drop what the server kept of a broken
                                   'put --resume' to NAME

Options:
  --json          ls: print JSON
  --resume        get: continue a broken download from its part file;
                  put: continue a broken upload the server kept (and let it
                  keep this one's bytes if it breaks too)
  --overwrite     get: replace the local file; put: replace the server's file
  --fsync         get: flush the file to disk before it takes its name
  --timeout TIME  give up when the server is silent this long (default: 60s)
  --tls           connect over TLS (the system's trusted roots, plus --ca)
  --ca FILE       also trust this PEM certificate (e.g. a self-signed server's)
  --token TOKEN   the server's shared token; better: set NETKIT_TOKEN in the
                  environment (kept out of the process list)
  --user NAME     sign in as NAME (a server with --users); the password comes
                  from NETKIT_PASSWORD, else it is asked for
  --config FILE   read settings from FILE's "client" section (JSONC)
  --print-config  print the settings in effect (secrets masked) and exit
  -h, --help      show this help

Every transfer is verified end to end (XXH3-128 or SHA-256, as the server
chooses). A download is written to .DEST.netkit-part and renamed only once
verified; after a broken download, 'get --resume' continues it, and
'put --resume' does the same for uploads; the result is verified end to end.

Examples:
  netkit client
  netkit client 127.0.0.1:7070 ls --json
  netkit client 127.0.0.1:7070 get report.pdf /tmp/report.pdf
  netkit client [::1]:7070 put ./photo.jpg holiday.jpg --overwrite`;

const ONE_SHOT = new Set(["ls", "get", "put", "cancel"]);

/** The flags of `netkit client`, its config section and their defaults. */
export const COMMAND = defineCommand("client", "client", {
  json: { type: "boolean", default: false },
  resume: { type: "boolean", default: false },
  overwrite: { type: "boolean", default: false },
  fsync: { type: "boolean", default: false },
  timeout: { type: "string", default: "60s" },
  tls: { type: "boolean", default: false },
  ca: { type: "string", path: true },
  token: { type: "string", secret: true, env: "NETKIT_TOKEN" },
  user: { type: "string" },
});

/** Runs `netkit client`. */
export async function main(args: string[]): Promise<number> {
  const settings = parseCommand(args, COMMAND);
  const { values, positionals } = settings;
  const tls = values.tls || values.ca !== undefined
    ? {
      caCerts: values.ca === undefined
        ? undefined
        : [await settings.explain(() => readPem(values.ca!, "--ca"))],
    }
    : null;
  const user = values.user;
  if (
    user !== undefined && values.token !== undefined &&
    settings.sources.token?.kind !== "environment"
  ) {
    throw new UsageError(
      "--user takes its password from NETKIT_PASSWORD or the prompt, not --token",
    );
  }
  const words = [...positionals];
  const address = words.length > 0 && !ONE_SHOT.has(words[0]) ? words.shift()! : "127.0.0.1";
  const { hostname, port } = parseHostPort(address, 7070);
  const shown = formatHostPort(hostname, port);
  const timeoutMs = settings.explain(() => parseDuration(values.timeout, "--timeout"));
  if (settings.printConfig) {
    console.log(formatSettings(settings));
    return 0;
  }
  const token = user === undefined
    ? values.token
    : Deno.env.get("NETKIT_PASSWORD") ?? askPassword(user);
  const connect = (signal?: AbortSignal) =>
    FileClient.connect({ hostname, port, timeoutMs, tls, token, user, signal });

  // A flag that does not fit the command is a mistake on the command line;
  // set in the config file, it only applies where it fits.
  const typed = (flag: "json" | "resume" | "overwrite" | "fsync") =>
    values[flag] && settings.sources[flag].kind === "command line";
  const [command, ...rest] = words;
  if (command === undefined) {
    if (typed("json") || typed("resume") || typed("overwrite")) {
      throw new UsageError("--json, --resume and --overwrite go with a command");
    }
    return await runRepl({ connect, address: shown });
  }
  const arity: Record<string, [number, number]> = {
    ls: [0, 0],
    get: [1, 2],
    put: [1, 2],
    cancel: [1, 1],
  };
  const [min, max] = arity[command] ?? [-1, -1];
  if (min < 0) throw new UsageError(`unknown client command '${command}'`);
  if (rest.length < min) throw new UsageError(`${command}: missing argument`);
  if (rest.length > max) throw new UsageError(`${command}: unexpected argument '${rest[max]}'`);
  if (typed("json") && command !== "ls") throw new UsageError("--json goes with ls");
  if (typed("fsync") && command !== "get") throw new UsageError("--fsync goes with get");
  if (typed("resume") && (command === "ls" || command === "cancel")) {
    throw new UsageError("--resume goes with get or put");
  }
  if (typed("overwrite") && (command === "ls" || command === "cancel")) {
    throw new UsageError("--overwrite goes with get or put");
  }

  // Where a download lands is settled before connecting: a bad DEST costs no connection.
  const dest = command !== "get"
    ? ""
    : rest[1] === "-"
    ? "-"
    : await downloadPath(rest[1], safeLocalName(rest[0]));
  await using client = await connect();
  if (command === "ls") {
    const entries = await client.list();
    console.log(values.json ? JSON.stringify(entries, null, 2) : formatListing(entries));
  } else if (command === "cancel") {
    const n = await client.cancelUpload(rest[0]);
    console.error(
      `cancelled: dropped what the server kept of ${n} broken upload${n === 1 ? "" : "s"} ` +
        `to ${printableName(rest[0])}`,
    );
  } else if (command === "get") {
    const name = rest[0];
    console.error(
      await downloadWithProgress(client, name, dest, {
        resume: values.resume,
        overwrite: values.overwrite,
        sync: values.fsync,
      }),
    );
  } else {
    const [file, name = baseName(file)] = rest;
    console.error(
      await uploadWithProgress(client, file, name, {
        resume: values.resume,
        overwrite: values.overwrite,
      }),
    );
  }
  return 0;
}

/** Asks for `user`'s password on the terminal, without echo. */
function askPassword(user: string): string {
  if (!Deno.stdin.isTerminal()) {
    throw new UsageError("--user needs NETKIT_PASSWORD when stdin is not a terminal");
  }
  Deno.stderr.writeSync(new TextEncoder().encode(`Password for ${user}: `));
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  try {
    const buf = new Uint8Array(1);
    while (bytes.length < 1024) {
      if (!Deno.stdin.readSync(buf)) break;
      const c = buf[0];
      if (c === 3) throw new UsageError("cancelled");
      if (c === 13 || c === 10) break;
      if (c === 127 || c === 8) bytes.pop();
      else bytes.push(c);
    }
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
