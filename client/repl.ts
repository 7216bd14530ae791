/**
 * The interactive prompt: a numbered menu (1 list, 2 download, 3 upload,
 * 4 quit) that also takes words. Every failure is printed and the prompt goes
 * on. The connection is the prompt's business, not the user's: one the
 * server has dropped for idleness is replaced before the next command, and a
 * command that finds its connection gone is run once more on a fresh one.
 * Ctrl-C cancels the command under way (a transfer, a question) and returns
 * to `netkit>`.
 *
 * @module
 */

import { isNetkitError, NetkitError } from "../core/errors.ts";
import { Feature, type ListEntry } from "../protocol/file/messages.ts";
import { resolveName } from "../core/library/jail.ts";
import type { FileClient } from "./client.ts";
import { type Command, CommandError, parseCommand, PROMPT_HELP } from "./commands.ts";
import { formatListing } from "./format.ts";
import { downloadWithProgress, uploadWithProgress } from "./transfers.ts";
import { baseName } from "../core/cli/local_path.ts";
import { printableName, printableText } from "../core/text/printable.ts";
import { downloadPath } from "../core/cli/local_file.ts";
import { onInterrupt } from "../core/cli/signals.ts";
import { Interrupted, LineReader } from "./line_reader.ts";

/** Options of {@linkcode runRepl}. */
export interface ReplOptions {
  /** Opens a fresh connection (at start, and when one is lost); `signal` gives up. */
  connect: (signal?: AbortSignal) => Promise<FileClient>;
  /** The server's address, for messages. */
  address: string;
  /** Where lines come from. @default Deno.stdin.readable */
  input?: ReadableStream<Uint8Array>;
  /** Writes text to the user (no newline added). @default stdout */
  write?: (text: string) => void;
  /** Show progress bars. @default stderr is a terminal */
  progress?: boolean;
  /** Subscribes to Ctrl-C until disposed. @default SIGINT */
  interrupts?: (handler: () => void) => Disposable;
}

const MENU = "  1) list  2) download  3) upload  4) quit  (or: ls, get NAME, put FILE, help)";

/**
 * A connection kept this close to the server's idle timeout is replaced
 * before use rather than risk the server dropping it mid-command.
 */
const IDLE_MARGIN = 0.8;

/** Runs the prompt until `quit` or the end of input; resolves to the exit code. */
export async function runRepl(options: ReplOptions): Promise<number> {
  const encoder = new TextEncoder();
  const write = options.write ?? ((t: string) => Deno.stdout.writeSync(encoder.encode(t)));
  const say = (t: string) => write(t + "\n");
  const input = new LineReader(options.input ?? Deno.stdin.readable);
  /** True while a question waits for its answer: the cursor is then after it. */
  let asking = false;
  const ask = async (q: string, signal?: AbortSignal) => {
    write(q);
    asking = true;
    try {
      const line = await input.next(signal);
      return line === null ? null : line.trim();
    } finally {
      asking = false;
    }
  };
  let client: FileClient | null = null;
  let lastList: ListEntry[] = [];
  /** The command under way, which Ctrl-C cancels. */
  let current: AbortController | null = null;
  let prompting = false;

  /** The connection to use now, and whether it is fresh (made for this command). */
  const connected = async (signal?: AbortSignal): Promise<[FileClient, boolean]> => {
    const idle = client && !client.closed &&
      client.idleMs >= client.welcome.idleTimeoutMs * IDLE_MARGIN;
    if (idle) client!.close(); // the server is about to drop it, or has
    if (client && !client.closed) return [client, false];
    const quiet = idle;
    client = await options.connect(signal);
    if (!quiet) say(`Connected to ${options.address} (hash ${client.hash}${readOnly(client)}).`);
    return [client, true];
  };
  const readOnly = (c: FileClient) => (c.welcome.features & Feature.READ_ONLY ? ", read-only" : "");

  say("netkit client");
  try {
    await connected();
  } catch (e) {
    say(`error: ${message(e)}`);
    say("Commands will try to connect again.");
  }
  say(MENU);

  /** Runs one command on `c`; resolves false when the prompt should end. */
  const run = async (cmd: Command, c: FileClient, signal: AbortSignal): Promise<boolean> => {
    switch (cmd.kind) {
      case "list": {
        lastList = await c.list();
        say(numbered(lastList));
        return true;
      }
      case "get": {
        let name = cmd.name;
        let dest = cmd.dest;
        if (name === undefined) {
          // A fresh list, so a number means what is shown and a name is
          // known to be there before asking where to save it.
          lastList = await c.list();
          say(numbered(lastList));
          if (lastList.length === 0) return true;
          const pick = await ask("Download which file (number or name)? ", signal);
          if (!pick) return pick !== null;
          name = /^\d+$/.test(pick) ? lastList[Number(pick) - 1]?.name : pick;
          if (name === undefined) throw new CommandError(`no file number ${pick}`);
          if (!lastList.some((e) => e.name === name)) {
            throw new NetkitError("NOT_FOUND", `${name}: not found`);
          }
          const answer = await ask(
            `Save as [${printableName(safeLocalName(name) ?? "")}]: `,
            signal,
          );
          if (answer === null) return false;
          dest = answer || undefined;
        }
        if (dest !== "-") dest = await downloadPath(dest, safeLocalName(name));
        const flags = { resume: cmd.resume, overwrite: cmd.overwrite, progress: options.progress };
        say(await downloadWithProgress(c, name, dest, flags));
        return true;
      }
      case "put": {
        let file = cmd.file;
        if (file === undefined) {
          const answer = await ask("Local file to upload: ", signal);
          if (answer === null) return false;
          if (!answer) return true;
          file = answer;
        }
        let name = cmd.name ?? baseName(file);
        if (cmd.file === undefined) {
          const answer = await ask(`Name on the server [${printableName(name)}]: `, signal);
          if (answer === null) return false;
          name = answer || name;
        }
        const flags = { resume: cmd.resume, overwrite: cmd.overwrite, progress: options.progress };
        say(await uploadWithProgress(c, file, name, flags));
        return true;
      }
      default:
        return true;
    }
  };

  /**
   * Runs a command that needs the server. Ctrl-C closes the connection
   * under it (the transfer stops; a download's part file is kept for
   * `--resume`). A command whose reused connection turns out to be gone
   * runs once more on a fresh one.
   */
  let cancelledAtQuestion = false;
  const remote = async (cmd: Command): Promise<boolean> => {
    const ac = new AbortController();
    current = ac;
    try {
      for (let attempt = 0;; attempt++) {
        let fresh = true;
        const cut = () => client?.close();
        ac.signal.addEventListener("abort", cut);
        try {
          let c: FileClient;
          [c, fresh] = await connected(ac.signal);
          return await run(cmd, c, ac.signal);
        } catch (e) {
          if (ac.signal.aborted) throw new Interrupted();
          if (fresh || attempt > 0 || !isNetkitError(e, "CLOSED")) throw e;
        } finally {
          ac.signal.removeEventListener("abort", cut);
        }
      }
    } finally {
      current = null;
    }
  };

  using _interrupts = (options.interrupts ?? onInterrupt)(() => {
    cancelledAtQuestion = asking;
    if (current) current.abort();
    else if (prompting) write("\nnetkit> "); // as a shell does: a fresh prompt
  });

  try {
    while (true) {
      prompting = true;
      const line = await ask("netkit> ");
      prompting = false;
      if (line === null) {
        say("");
        break;
      }
      try {
        const cmd = parseCommand(line);
        if (cmd.kind === "quit") break;
        if (cmd.kind === "help") say(PROMPT_HELP);
        else if (cmd.kind !== "empty" && !(await remote(cmd))) break;
      } catch (e) {
        if (e instanceof Interrupted) {
          // A question leaves the cursor after it; a transfer's line is ended already.
          say(cancelledAtQuestion ? "\ncancelled" : "cancelled");
          continue;
        }
        say(`error: ${message(e)}`);
        if (isNetkitError(e, "CLOSED", "TIMEOUT")) say("(the next command reconnects)");
      }
    }
  } finally {
    await (client as FileClient | null)?.quit();
  }
  say("bye");
  return 0;
}

function message(e: unknown): string {
  if (isNetkitError(e)) return `${printableText(e.message)} [${e.code}]`;
  if (e instanceof CommandError) return printableText(e.message);
  return printableText(e instanceof Error ? e.message : String(e));
}

function numbered(entries: readonly ListEntry[]): string {
  if (entries.length === 0) return "(no files)";
  const table = formatListing(entries).split("\n");
  const w = String(entries.length).length;
  return [
    `${" ".repeat(w + 2)}${table[0]}`,
    ...entries.map((_, i) => `${String(i + 1).padStart(w)}) ${table[i + 1]}`),
    `${" ".repeat(w + 2)}${table[table.length - 1]}`,
  ].join("\n");
}

/**
 * The default local name for a download: the name's last segment, if that is
 * a safe file name (so a hostile listing cannot pick `../x`).
 */
export function safeLocalName(name: string): string | undefined {
  try {
    return resolveName(baseName(name), { hidden: true })[0];
  } catch {
    return undefined;
  }
}
