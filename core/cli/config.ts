/**
 * netkit's config file, checked: JSONC (`core/cli/jsonc.ts`) with one section
 * per command, each key named as the command's long flag
 * (`{ "http": { "max-upload": "10G" } }`). Pure: it turns the file's text
 * into settings, or fails with a {@linkcode UsageError} naming the file, the
 * line and the key, for an unknown section or key, a value of the wrong type,
 * or broken syntax. The values are checked further by the command's own
 * value parsers (see `core/cli/command_line.ts`).
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { UsageError } from "./cli_args.ts";
import { JsoncError, type JsoncObject, type KeyPositions, parseJsonc } from "./jsonc.ts";

/** What the config file needs to know of one flag. */
export interface ConfigFlag {
  /** A string flag takes a string (or a number); a boolean one, true or false. */
  readonly type: "string" | "boolean";
  /** Only on the command line: no key in the file. */
  readonly cliOnly?: boolean;
  /** A file or folder: a relative value is taken from the config file's folder. */
  readonly path?: boolean;
  /** A string flag given any number of times: a list of strings in the file. */
  readonly multiple?: boolean;
}

/** One setting read from the file, and where it stands. */
export interface ConfigEntry {
  /** As the flag would take it: a string, a boolean, or a list of strings. */
  value: string | boolean | string[];
  line: number;
  column: number;
}

/** Settings by section, then by key (a key set to `null` is left out: unset). */
export type ConfigSections = Map<string, Map<string, ConfigEntry>>;

/** The largest config file read. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** `a` and `b`'s edit distance, a swap of neighbours counting as one edit (short strings only). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** ` (did you mean "port"?)` when one of `known` is close to `name`. */
function suggest(name: string, known: Iterable<string>): string {
  let best = "";
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best ? ` (did you mean ${JSON.stringify(best)}?)` : "";
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  return String(v);
}

/**
 * Reads a config file's text against every command's flags.
 *
 * @param text the file's content
 * @param file its path, for messages and for relative paths in it
 * @param sections each known section's flags
 * @throws {UsageError} `FILE:LINE:COLUMN: "section"."key": what was expected`
 */
export function readConfig(
  text: string,
  file: string,
  sections: ReadonlyMap<string, Readonly<Record<string, ConfigFlag>>>,
): ConfigSections {
  let doc;
  try {
    doc = parseJsonc(text);
  } catch (e) {
    if (e instanceof JsoncError) throw new UsageError(`${file}:${e.message}`);
    throw e;
  }
  const { value, keys } = doc;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError(`${file}: expected an object of sections, such as { "http": { ... } }`);
  }
  const at = (o: JsoncObject, key: string) => {
    const p = keys.get(o)!.get(key)!;
    return `${file}:${p.line}:${p.column}`;
  };
  const out: ConfigSections = new Map();
  for (const [name, body] of Object.entries(value)) {
    const flags = sections.get(name);
    if (!flags) {
      throw new UsageError(
        `${at(value, name)}: unknown section ${JSON.stringify(name)}${
          suggest(name, sections.keys())
        }` +
          ` (sections: ${[...sections.keys()].sort().join(", ")})`,
      );
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new UsageError(
        `${at(value, name)}: ${JSON.stringify(name)}: expected an object of settings, got ${
          kindOf(body)
        }`,
      );
    }
    out.set(name, readSection(body, name, flags, file, keys, at));
  }
  return out;
}

function readSection(
  body: JsoncObject,
  name: string,
  flags: Readonly<Record<string, ConfigFlag>>,
  file: string,
  keys: KeyPositions,
  at: (o: JsoncObject, key: string) => string,
): Map<string, ConfigEntry> {
  const settable = Object.keys(flags).filter((k) => !flags[k].cliOnly);
  const entries = new Map<string, ConfigEntry>();
  for (const [key, v] of Object.entries(body)) {
    const where = `${at(body, key)}: ${JSON.stringify(name)}.${JSON.stringify(key)}`;
    const flag = Object.hasOwn(flags, key) ? flags[key] : undefined;
    if (!flag || flag.cliOnly) {
      const why = flag ? "only on the command line" : `unknown key${suggest(key, settable)}`;
      throw new UsageError(`${where}: ${why}`);
    }
    if (v === null) continue;
    let value: string | boolean | string[];
    if (flag.multiple) {
      if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
        throw new UsageError(`${where}: expected a list of strings, got ${kindOf(v)}`);
      }
      value = v as string[];
    } else if (flag.type === "boolean") {
      if (typeof v !== "boolean") {
        throw new UsageError(`${where}: expected true or false, got ${kindOf(v)}`);
      }
      value = v;
    } else if (typeof v === "string") {
      value = flag.path && v !== "" ? resolve(dirname(file), v) : v;
    } else if (typeof v === "number") {
      value = String(v);
    } else {
      throw new UsageError(`${where}: expected a string or a number, got ${kindOf(v)}`);
    }
    const p = keys.get(body)!.get(key)!;
    entries.set(key, { value, line: p.line, column: p.column });
  }
  return entries;
}
