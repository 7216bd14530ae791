/**
 * A command's settings, from one table per command: its flags, their types
 * and defaults, which are secrets, which name files, which may come from the
 * environment. The same table is the command line (strict, through
 * `parseFlags`), the command's section of the config file (`--config FILE`,
 * see `core/cli/config.ts`) and what `--print-config` shows. A flag added to the
 * table is all three at once.
 *
 * Precedence: the command line, then the environment, then the config file,
 * then the table's default. Any boolean flag can be switched off on the
 * command line with `--no-FLAG` (to overrule the file).
 *
 * @example
 * ```ts ignore
 * export const COMMAND = defineCommand("http", "http", {
 *   port: { type: "string", default: "8000" },
 *   token: { type: "string", secret: true, env: "NETKIT_TOKEN" },
 * });
 * const settings = parseCommand(args, COMMAND);
 * const port = settings.explain(() => parsePort(settings.values.port));
 * ```
 *
 * @module
 */

import { type FlagSpec, parseFlags, UsageError } from "./cli_args.ts";
import { type ConfigFlag, type ConfigSections, MAX_CONFIG_BYTES, readConfig } from "./config.ts";

/** One flag of a command. */
export interface FlagDef extends ConfigFlag {
  /** A one-letter alias on the command line. */
  readonly short?: string;
  /** The value when nothing sets it (as the command line would spell it). */
  readonly default?: string | boolean;
  /** A password or token: masked by `--print-config`, never logged. */
  readonly secret?: boolean;
  /** An environment variable that sets it (after the command line, before the file). */
  readonly env?: string;
}

/** A command's flags by long name. */
export type FlagTable = Readonly<Record<string, FlagDef>>;

/** The flags every command has, only on the command line. */
export const COMMON_FLAGS = {
  config: { type: "string", cliOnly: true },
  "print-config": { type: "boolean", cliOnly: true },
} as const satisfies FlagTable;

/** A command's table: its name for messages, its config section, its flags. */
export interface CommandSpec<T extends FlagTable = FlagTable> {
  /** The command as `--help` hints name it, e.g. "serve-files" or "tftp". */
  readonly name: string;
  /** Its section in the config file. */
  readonly section: string;
  /** Its flags, with {@linkcode COMMON_FLAGS}. */
  readonly flags: T & typeof COMMON_FLAGS;
}

const commands = new Map<string, CommandSpec>();

/**
 * Declares a command's flags and config section. Every command's module
 * declares its own at load, so the config file is checked against all of
 * them (a section or key no command knows is an error).
 *
 * @throws {Error} when the section is declared twice
 */
export function defineCommand<const T extends FlagTable>(
  name: string,
  section: string,
  flags: T,
): CommandSpec<T> {
  if (commands.has(section)) throw new Error(`config section '${section}' declared twice`);
  const spec: CommandSpec<T> = { name, section, flags: { ...flags, ...COMMON_FLAGS } };
  commands.set(section, spec);
  return spec;
}

/** Every command declared so far (all of them once `main.ts` is loaded). */
export function declaredCommands(): CommandSpec[] {
  return [...commands.values()];
}

type Value<D> = D extends { type: "boolean" } ? boolean
  : D extends { multiple: true } ? string[]
  : string;

/** The values of a table's flags: those with a default are always set. */
export type FlagValues<T> =
  & { -readonly [K in keyof T as T[K] extends { default: unknown } ? K : never]: Value<T[K]> }
  & { -readonly [K in keyof T as T[K] extends { default: unknown } ? never : K]?: Value<T[K]> };

/** Where a setting came from. */
export type Source =
  | { kind: "command line" }
  | { kind: "environment"; name: string }
  | { kind: "file"; file: string; line: number; column: number }
  | { kind: "default" };

/** A command's settings, merged, with where each came from. */
export interface Settings<T extends FlagTable> {
  readonly spec: CommandSpec<T>;
  readonly values: FlagValues<T & typeof COMMON_FLAGS>;
  readonly positionals: string[];
  /** Where each set flag came from. */
  readonly sources: Readonly<Record<string, Source>>;
  /** True for `--print-config`: show the settings and stop. */
  readonly printConfig: boolean;
  /**
   * Runs `fn` (which checks values with the `core/cli/cli_args.ts` parsers) and
   * rewrites a {@linkcode UsageError} about `--flag` when the value came
   * from the config file or the environment, so the message names the file,
   * line and key (or the variable) instead.
   */
  explain<R>(fn: () => R): R;
}

/** The settings of a command declared as `S`. */
export type SettingsOf<S> = S extends CommandSpec<infer T> ? Settings<T> : never;

/** Reads an environment variable; unset, empty or not permitted is undefined. */
function fromEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/** Takes `--no-FLAG` for each boolean FLAG out of `args` (up to a `--`). */
function negations(args: string[], flags: FlagTable): { rest: string[]; off: string[] } {
  const rest: string[] = [];
  const off: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      rest.push(...args.slice(i));
      break;
    }
    const name = a.startsWith("--no-") ? a.slice(5) : "";
    if (
      name && !Object.hasOwn(flags, `no-${name}`) && Object.hasOwn(flags, name) &&
      flags[name].type === "boolean" && !flags[name].cliOnly
    ) off.push(name);
    else rest.push(a);
  }
  return { rest, off };
}

/** The config file's sections, read and checked against every declared command. */
function loadConfig(path: string): ConfigSections {
  let text: string;
  try {
    const info = Deno.statSync(path);
    if (!info.isFile) throw new Error("not a file");
    if (info.size > MAX_CONFIG_BYTES) throw new Error(`larger than ${MAX_CONFIG_BYTES} bytes`);
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new UsageError(`--config: cannot read ${path}: ${(e as Error).message}`);
  }
  return readConfig(text, path, new Map(declaredCommands().map((c) => [c.section, c.flags])));
}

/** Warns when the file holds a secret that other users may read. */
function warnIfExposed(path: string, secrets: string[]): void {
  if (secrets.length === 0 || Deno.build.os === "windows") return;
  try {
    const mode = Deno.statSync(path).mode ?? 0;
    if (mode & 0o004) {
      console.error(
        `netkit: warning: ${path} holds ${secrets.map((s) => `"${s}"`).join(", ")} and any user ` +
          `can read it (mode ${(mode & 0o777).toString(8)}); chmod o-r it`,
      );
    }
  } catch { /* read a moment ago; gone now: the server will say so */ }
}

/**
 * Parses `args` for `spec`, reads the config file `--config` names (if
 * any), and merges both with the environment and the defaults.
 *
 * @throws {UsageError} for a bad flag, an unreadable or bad config file
 */
export function parseCommand<T extends FlagTable>(
  args: string[],
  spec: CommandSpec<T>,
): Settings<T> {
  const flags: FlagTable = spec.flags;
  const { rest, off } = negations(args, flags);
  const argSpec: FlagSpec = {};
  for (const [k, f] of Object.entries(flags)) {
    argSpec[k] = {
      type: f.type,
      ...(f.short ? { short: f.short } : {}),
      ...(f.multiple ? { multiple: true } : {}),
    };
  }
  const parsed = parseFlags(rest, argSpec, spec.name);
  const given = parsed.values as Record<string, string | boolean | string[] | undefined>;
  for (const name of off) given[name] = false;
  const configPath = given.config as string | undefined;
  const file = configPath === undefined ? undefined : loadConfig(configPath).get(spec.section);

  const values: Record<string, string | boolean | string[]> = {};
  const sources: Record<string, Source> = {};
  for (const [k, f] of Object.entries(flags)) {
    const env = f.env ? fromEnv(f.env) : undefined;
    const entry = file?.get(k);
    if (given[k] !== undefined) {
      values[k] = given[k]!;
      sources[k] = { kind: "command line" };
    } else if (env !== undefined) {
      values[k] = env;
      sources[k] = { kind: "environment", name: f.env! };
    } else if (entry) {
      values[k] = entry.value;
      sources[k] = { kind: "file", file: configPath!, line: entry.line, column: entry.column };
    } else if (f.default !== undefined) {
      values[k] = f.default;
      sources[k] = { kind: "default" };
    }
  }
  if (configPath !== undefined && file) {
    warnIfExposed(configPath, [...file.keys()].filter((k) => flags[k].secret));
  }

  const explained = (e: unknown): unknown => {
    if (!(e instanceof UsageError)) return e;
    const m = /^--([a-z0-9][a-z0-9-]*): ([^]*)$/.exec(e.message);
    const source = m ? sources[m[1]] : undefined;
    if (source?.kind === "file") {
      const key = `${JSON.stringify(spec.section)}.${JSON.stringify(m![1])}`;
      return new UsageError(
        `${source.file}:${source.line}:${source.column}: ${key}: ${m![2]}`,
        e.command,
      );
    }
    if (source?.kind === "environment") {
      return new UsageError(`${source.name}: ${m![2]}`, e.command);
    }
    return e;
  };

  return {
    spec,
    values: values as FlagValues<T & typeof COMMON_FLAGS>,
    positionals: parsed.positionals,
    sources,
    printConfig: values["print-config"] === true,
    explain<R>(fn: () => R): R {
      let r: R;
      try {
        r = fn();
      } catch (e) {
        throw explained(e);
      }
      if (r instanceof Promise) {
        return r.catch((e) => {
          throw explained(e);
        }) as R;
      }
      return r;
    },
  };
}
