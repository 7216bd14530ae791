/**
 * netkit: one executable, several network tools. This file only dispatches
 * to each subcommand's `cli.ts` and turns errors into exit codes: 2 for bad
 * usage, 1 for a failure, with one line on stderr.
 *
 * @module
 */

import denoJson from "./deno.json" with { type: "json" };
import { UsageError } from "./core/cli/cli_args.ts";
import { printableText } from "./core/text/printable.ts";
import * as serveFiles from "./server/cli.ts";
import * as client from "./client/cli.ts";
import * as http from "./http/cli.ts";
import * as tftp from "./tftp/cli.ts";
import * as share from "./share/cli.ts";

/** What every subcommand module exports. */
interface Command {
  /** One line for `netkit --help`. */
  SUMMARY: string;
  /** The full `netkit <command> --help` text. */
  USAGE: string;
  /** Runs the command; resolves to the exit code. */
  main(args: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  "serve-files": serveFiles,
  client,
  http,
  tftp,
  share,
};

/** The version line: netkit's version from deno.json and the runtime's. */
export function versionLine(): string {
  return `netkit ${denoJson.version} (deno ${Deno.version.deno}, ${Deno.build.target})`;
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) =>
    `  ${name.padEnd(width)}  ${c.SUMMARY}`
  );
  return [
    "netkit: a single-binary network toolkit",
    "",
    "Usage: netkit <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Options:",
    "  -h, --help     show this help (or 'netkit <command> --help')",
    "  -V, --version  print the version",
  ].join("\n");
}

async function run(args: string[]): Promise<number> {
  const [first, ...rest] = args;
  if (
    first === undefined || first === "-h" || first === "--help" ||
    first === "help"
  ) {
    console.log(help());
    return first === undefined ? 2 : 0;
  }
  if (first === "-V" || first === "--version") {
    console.log(versionLine());
    return 0;
  }
  const command = COMMANDS[first];
  if (!command) {
    throw new UsageError(
      first.startsWith("-") ? `unknown option '${first}'` : `unknown command '${first}'`,
    );
  }
  if (rest.includes("-h") || rest.includes("--help")) {
    console.log(command.USAGE);
    return 0;
  }
  try {
    return await command.main(rest);
  } catch (e) {
    if (e instanceof UsageError && !e.command) {
      throw new UsageError(e.message, first);
    }
    throw e;
  }
}

if (import.meta.main) {
  let code: number;
  try {
    code = await run(Deno.args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`netkit: ${printableText(e.message)}`);
      console.error(`Try 'netkit ${e.command ? e.command + " " : ""}--help'.`);
      code = 2;
    } else {
      console.error(`netkit: ${printableText(e instanceof Error ? e.message : String(e))}`);
      code = 1;
    }
  }
  Deno.exit(code);
}
