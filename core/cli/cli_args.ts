/**
 * Command-line parsing shared by every subcommand: strict flags through
 * `node:util` `parseArgs`, and value parsers (sizes, durations, ports,
 * HOST:PORT) that fail with a {@linkcode UsageError} naming the flag.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { readLocalText } from "./local_file.ts";
import { isNetkitError } from "../errors.ts";

/** Bad command-line input: `main.ts` prints it on one line and exits 2. */
export class UsageError extends Error {
  /** The subcommand whose `--help` the hint points to, if any. */
  readonly command?: string;

  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/** The options part of a `parseArgs` configuration. */
export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

/** A negative number, which `parseArgs` would otherwise take for an option. */
const NEGATIVE = /^-(\d|\.\d)/;

/**
 * Joins a value-taking flag and a negative number after it (`--port -1`
 * becomes `--port=-1`), so the value parser names the flag and says what it
 * expects, rather than `parseArgs` calling the argument ambiguous.
 */
function joinNegativeValues(args: string[], spec: FlagSpec): string[] {
  const takesValue = (arg: string): boolean => {
    if (arg.startsWith("--")) return spec[arg.slice(2)]?.type === "string";
    if (/^-[^-]$/.test(arg)) {
      return Object.values(spec).some((o) => o.short === arg[1] && o.type === "string");
    }
    return false;
  };
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return [...out, ...args.slice(i)];
    if (takesValue(arg) && i + 1 < args.length && NEGATIVE.test(args[i + 1])) {
      // `--port=-1`; a short flag takes its value glued on: `-p-1`.
      out.push(arg.startsWith("--") ? `${arg}=${args[++i]}` : `${arg}${args[++i]}`);
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * Parses `args` strictly against `spec`: unknown flags, missing values and
 * flags given a value they do not take are a {@linkcode UsageError}. A
 * negative number is taken as a flag's value, for its parser to judge.
 */
export function parseFlags<T extends FlagSpec>(
  args: string[],
  spec: T,
  command: string,
) {
  try {
    return parseArgs({
      args: joinNegativeValues(args, spec),
      options: spec,
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const m = (e as Error).message;
    const flag = /'([^']+)'/.exec(m)?.[1] ?? "";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      throw new UsageError(`unknown option '${flag}'`, command);
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      throw new UsageError(
        m.split(".")[0].replace(/^Option /, "option "),
        command,
      );
    }
    throw new UsageError(m.split(/\.\s/)[0], command);
  }
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** Bounds a parsed value must keep, in the value's own unit (bytes, ms). */
export interface ValueRange {
  /** Smallest value accepted. @default 0 */
  min?: number;
  /** Largest value accepted. @default no bound */
  max?: number;
}

/** Checks `value` against `range`, failing with a message in the flag's own terms. */
function checkRange(
  value: number,
  range: ValueRange,
  flag: string,
  text: string,
  show: (n: number) => string,
): number {
  const { min = 0, max = Infinity } = range;
  if (value >= min && value <= max) return value;
  const want = max === Infinity
    ? `at least ${show(min)}`
    : min === 0
    ? `at most ${show(max)}`
    : `from ${show(min)} to ${show(max)}`;
  throw new UsageError(`${flag}: expected ${want}, got '${text}'`);
}

/**
 * Parses a byte size such as `1048576`, `64K`, `10MiB`, `1.5G` (K, M, G, T
 * and KiB.. are powers of 1024; KB, MB.. powers of 1000), within `range`.
 */
export function parseSize(text: string, flag: string, range: ValueRange = {}): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  const value = m && unit ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new UsageError(`${flag}: not a size: '${text}' (try 10M or 2G)`);
  }
  return checkRange(value, range, flag, text, showSize);
}

const SHOWN_UNITS: [string, number][] = [
  ["T", 1024 ** 4],
  ["G", 1024 ** 3],
  ["M", 1024 ** 2],
  ["K", 1024],
];

/** A size bound as a user would type it: `64K`, `64M`, `1000 bytes`. */
function showSize(bytes: number): string {
  const fit = SHOWN_UNITS.find(([, scale]) => bytes >= scale && bytes % scale === 0);
  return fit ? `${bytes / fit[1]}${fit[0]}` : `${bytes} bytes`;
}

/** A duration bound as a user would type it: `100ms`, `30s`. */
function showMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Writes a byte count as {@linkcode parseSize} reads it, in the largest
 * binary unit that divides it exactly: `64GiB`, `1MiB`, `1000`.
 */
export function sizeText(bytes: number): string {
  for (
    const [unit, size] of [["TiB", 1024 ** 4], ["GiB", 1024 ** 3], ["MiB", 1024 ** 2], [
      "KiB",
      1024,
    ]] as const
  ) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/**
 * Longest accepted duration: 2^31 - 1 ms (about 24.8 days). Timers clamp a
 * longer delay to 1 ms, which would turn a huge timeout into none at all.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * Parses a duration in milliseconds from `30s`, `500ms`, `2m`, `1h` or plain
 * seconds, within `range` (in ms; at most {@linkcode MAX_DURATION_MS}).
 */
export function parseDuration(text: string, flag: string, range: ValueRange = {}): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new UsageError(`${flag}: not a duration: '${text}' (try 30s)`);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"]!;
  const ms = Math.round(Number(m[1]) * scale);
  if (!(ms <= MAX_DURATION_MS)) {
    throw new UsageError(
      `${flag}: duration too long: '${text}' (at most 24 days)`,
    );
  }
  return checkRange(ms, range, flag, text, showMs);
}

/** Parses a whole number within `[min, max]`. */
export function parseIntFlag(
  text: string,
  flag: string,
  min: number,
  max: number,
): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `${flag}: expected a whole number from ${min} to ${max}, got '${text}'`,
    );
  }
  return n;
}

/** Parses a TCP or UDP port (0 picks a free one). */
export function parsePort(text: string, flag = "--port"): number {
  return parseIntFlag(text, flag, 0, 65535);
}

/** An address to connect to. */
export interface HostPort {
  hostname: string;
  port: number;
}

/** True for an IPv6 literal, optionally with a `%zone` (checked by the URL parser). */
function isIPv6(text: string): boolean {
  const m = /^([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)(%[0-9A-Za-z_.~-]+)?$/.exec(text);
  if (!m) return false;
  try {
    new URL(`http://[${m[1]}]/`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT`, with `defaultPort`
 * when none is given.
 */
export function parseHostPort(text: string, defaultPort: number): HostPort {
  const bad = () => new UsageError(`not a HOST[:PORT] address: '${text}'`);
  let hostname: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw bad();
    hostname = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) throw bad();
    if (!isIPv6(hostname)) throw bad();
    portText = rest ? rest.slice(1) : undefined;
  } else if ((text.match(/:/g) ?? []).length > 1) {
    // A bare IPv6 address, never a host with two ports ("host:80:90").
    if (!isIPv6(text)) throw bad();
    hostname = text;
  } else {
    [hostname, portText] = text.split(":");
  }
  if (!hostname || /[\s/]/.test(hostname)) throw bad();
  const port = portText === undefined ? defaultPort : parsePort(portText, "port");
  return { hostname, port };
}

/** Reads a PEM file named by a flag, failing with a message naming the flag. */
export async function readPem(path: string, flag: string): Promise<string> {
  try {
    const text = await readLocalText(path);
    if (!text.includes("-----BEGIN ")) throw new UsageError(`${flag}: ${path} is not a PEM file`);
    return text;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // netkit's errors name the path already ("x.pem: a FIFO, not a regular file").
    const why = isNetkitError(e) ? e.message : `${path}: ${(e as Error).message}`;
    throw new UsageError(`${flag}: cannot read ${why}`);
  }
}
