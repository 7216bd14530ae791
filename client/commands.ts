/**
 * Parses a line typed at the client's prompt: a menu number or a word, with
 * shell-like quoting so names with spaces work (`get "my file.txt"`). Pure.
 *
 * @module
 */

/** A parsed prompt line. */
export type Command =
  | { kind: "empty" }
  | { kind: "help" }
  | { kind: "quit" }
  | { kind: "list" }
  /** `name` absent: ask for it. */
  | { kind: "get"; name?: string; dest?: string; resume: boolean; overwrite: boolean }
  /** `file` absent: ask for it. */
  | { kind: "put"; file?: string; name?: string; resume: boolean; overwrite: boolean };

/** A line that is not a command; the message says why. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}

/**
 * Splits a line into words: blanks separate, single and double quotes group,
 * a backslash escapes the next character (outside single quotes).
 *
 * @throws {CommandError} for an unclosed quote
 */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new CommandError(`unclosed ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

const WORDS: Record<string, Command["kind"]> = {
  "1": "list",
  ls: "list",
  list: "list",
  dir: "list",
  "2": "get",
  get: "get",
  download: "get",
  "3": "put",
  put: "put",
  upload: "put",
  "4": "quit",
  quit: "quit",
  exit: "quit",
  q: "quit",
  bye: "quit",
  help: "help",
  h: "help",
  "?": "help",
};

/**
 * Parses one prompt line.
 *
 * @throws {CommandError} for an unknown command, unknown flag or extra words
 */
export function parseCommand(line: string): Command {
  const words = tokenize(line);
  if (words.length === 0) return { kind: "empty" };
  const kind = WORDS[words[0].toLowerCase()];
  if (!kind) throw new CommandError(`unknown command '${words[0]}' (type help)`);
  const flags = new Set(words.slice(1).filter((w) => w.startsWith("--")));
  const args = words.slice(1).filter((w) => !w.startsWith("--"));
  const allowed: Record<string, string[]> = {
    get: ["--resume", "--overwrite"],
    put: ["--resume", "--overwrite"],
  };
  for (const f of flags) {
    if (!(allowed[kind] ?? []).includes(f)) {
      throw new CommandError(`${words[0]}: unknown option '${f}'`);
    }
  }
  const max = kind === "get" || kind === "put" ? 2 : 0;
  if (args.length > max) throw new CommandError(`${words[0]}: too many arguments`);
  switch (kind) {
    case "get":
      return {
        kind,
        name: args[0],
        dest: args[1],
        resume: flags.has("--resume"),
        overwrite: flags.has("--overwrite"),
      };
    case "put":
      return {
        kind,
        file: args[0],
        name: args[1],
        resume: flags.has("--resume"),
        overwrite: flags.has("--overwrite"),
      };
    default:
      return { kind } as Command;
  }
}

/** The prompt's help text. */
export const PROMPT_HELP = `Commands (a number or a word):
  1  ls                          list the library
  2  get NAME [DEST] [--resume] [--overwrite]
                                 download NAME (to DEST: a file, a folder,
                                 or - for stdout; default: NAME here)
  3  put FILE [NAME] [--resume] [--overwrite]
                                 upload the local FILE (as NAME)
  4  quit                        leave
     help                        this text
Quote names with spaces: get "my notes.txt"`;
