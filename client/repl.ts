/**
 * The interactive prompt: a numbered menu (1 list, 2 download, 3 upload,
 * 4 quit) that also takes words. Every failure is printed and the prompt goes
 * on; a lost server is reconnected on the next command.
 *
 * @module
 */

import { isNetkitError, NetkitError } from "../core/errors.ts";
import { Feature, type ListEntry } from "../protocol/file/messages.ts";
import { resolveName } from "../core/jail.ts";
import type { FileClient } from "./client.ts";
import { type Command, CommandError, parseCommand, PROMPT_HELP } from "./commands.ts";
import { formatListing } from "./format.ts";
import { downloadWithProgress, uploadWithProgress } from "./transfers.ts";
import { baseName } from "../core/local_path.ts";
import { downloadPath } from "../core/local_file.ts";

/** Options of {@linkcode runRepl}. */
export interface ReplOptions {
  /** Opens a fresh connection (called at start and after a lost one). */
  connect: () => Promise<FileClient>;
  /** The server's address, for messages. */
  address: string;
  /** Where lines come from. @default Deno.stdin.readable */
  input?: ReadableStream<Uint8Array>;
  /** Writes text to the user (no newline added). @default stdout */
  write?: (text: string) => void;
  /** Show progress bars. @default stderr is a terminal */
  progress?: boolean;
}

/** Reads lines from a byte stream, one at a time. */
export class LineReader {
  readonly #lines: AsyncIterator<string>;

  constructor(input: ReadableStream<Uint8Array>) {
    this.#lines = lines(input)[Symbol.asyncIterator]();
  }

  /** The next line without its line ending, or `null` at the end of input. */
  async next(): Promise<string | null> {
    const r = await this.#lines.next();
    return r.done ? null : r.value;
  }
}

async function* lines(input: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of input.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      yield rest.slice(0, nl).replace(/\r$/, "");
      rest = rest.slice(nl + 1);
    }
  }
  if (rest !== "") yield rest;
}

const MENU = "  1) list  2) download  3) upload  4) quit  (or: ls, get NAME, put FILE, help)";

/** Runs the prompt until `quit` or the end of input; resolves to the exit code. */
export async function runRepl(options: ReplOptions): Promise<number> {
  const encoder = new TextEncoder();
  const write = options.write ?? ((t: string) => Deno.stdout.writeSync(encoder.encode(t)));
  const say = (t: string) => write(t + "\n");
  const input = new LineReader(options.input ?? Deno.stdin.readable);
  const ask = async (q: string) => {
    write(q);
    const line = await input.next();
    return line === null ? null : line.trim();
  };
  let client: FileClient | null = null;
  let lastList: ListEntry[] = [];

  const connected = async (): Promise<FileClient> => {
    if (client && !client.closed) return client;
    client = await options.connect();
    say(`Connected to ${options.address} (hash ${client.hash}${readOnly(client)}).`);
    return client;
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

  const run = async (cmd: Command): Promise<boolean> => {
    switch (cmd.kind) {
      case "empty":
        return true;
      case "help":
        say(PROMPT_HELP);
        return true;
      case "quit":
        return false;
      case "list": {
        const c = await connected();
        lastList = await c.list();
        say(numbered(lastList));
        return true;
      }
      case "get": {
        const c = await connected();
        let name = cmd.name;
        let dest = cmd.dest;
        if (name === undefined) {
          // A fresh list, so a number means what is shown and a name is
          // known to be there before asking where to save it.
          lastList = await c.list();
          say(numbered(lastList));
          if (lastList.length === 0) return true;
          const pick = await ask("Download which file (number or name)? ");
          if (!pick) return pick !== null;
          name = /^\d+$/.test(pick) ? lastList[Number(pick) - 1]?.name : pick;
          if (name === undefined) throw new CommandError(`no file number ${pick}`);
          if (!lastList.some((e) => e.name === name)) {
            throw new NetkitError("NOT_FOUND", `${name}: not found`);
          }
          const answer = await ask(`Save as [${safeLocalName(name) ?? ""}]: `);
          if (answer === null) return false;
          dest = answer || undefined;
        }
        if (dest !== "-") dest = await downloadPath(dest, safeLocalName(name));
        say(
          await downloadWithProgress(c, name, dest, {
            resume: cmd.resume,
            overwrite: cmd.overwrite,
            progress: options.progress,
          }),
        );
        return true;
      }
      case "put": {
        const c = await connected();
        let file = cmd.file;
        if (file === undefined) {
          const answer = await ask("Local file to upload: ");
          if (answer === null) return false;
          if (!answer) return true;
          file = answer;
        }
        let name = cmd.name ?? baseName(file);
        if (cmd.file === undefined) {
          const answer = await ask(`Name on the server [${name}]: `);
          if (answer === null) return false;
          name = answer || name;
        }
        say(
          await uploadWithProgress(c, file, name, {
            resume: cmd.resume,
            overwrite: cmd.overwrite,
            progress: options.progress,
          }),
        );
        return true;
      }
    }
  };

  try {
    while (true) {
      const line = await ask("netkit> ");
      if (line === null) {
        say("");
        break;
      }
      try {
        if (!(await run(parseCommand(line)))) break;
      } catch (e) {
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
  if (isNetkitError(e)) return `${e.message} [${e.code}]`;
  if (e instanceof CommandError) return e.message;
  return e instanceof Error ? e.message : String(e);
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
