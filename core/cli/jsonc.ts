/**
 * A strict parser of JSON with comments (JSONC), the format of netkit's
 * config file: JSON plus `//` and `/* *\/` comments and trailing commas,
 * nothing looser (no single quotes, bare keys, hex or `NaN`). Unlike
 * `JSON.parse` it refuses a key given twice in one object, where the last
 * would silently win, and it says where each key stands, so a config error
 * can name the line. Objects come back without a prototype: a key named
 * `__proto__` is data, never a prototype.
 *
 * @module
 */

/** A parsed value. */
export type JsoncValue = null | boolean | number | string | JsoncValue[] | JsoncObject;

/** A parsed object: null-prototype, keys in file order. */
export type JsoncObject = { [key: string]: JsoncValue };

/** A line and column, both from 1. */
export interface Position {
  line: number;
  column: number;
}

/** Where each key of each object stands. */
export type KeyPositions = WeakMap<JsoncObject, Map<string, Position>>;

/** A syntax error, at a line and column. */
export class JsoncError extends SyntaxError {
  constructor(message: string, readonly position: Position) {
    super(`${position.line}:${position.column}: ${message}`);
    this.name = "JsoncError";
  }
}

/** The deepest nesting accepted: deeper input is refused before it can exhaust the stack. */
const MAX_DEPTH = 64;

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/**
 * Parses `text` as JSONC.
 *
 * @returns the value, and the positions of every object's keys
 * @throws {JsoncError} naming the line and column of the first problem
 */
export function parseJsonc(text: string): { value: JsoncValue; keys: KeyPositions } {
  const keys: KeyPositions = new WeakMap();
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  let lineStarts: number[] | null = null;
  const position = (at: number): Position => {
    if (lineStarts === null) {
      lineStarts = [0];
      for (let k = text.indexOf("\n"); k >= 0; k = text.indexOf("\n", k + 1)) {
        lineStarts.push(k + 1);
      }
    }
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: at - lineStarts[lo] + 1 };
  };
  const fail = (message: string, at = i): never => {
    throw new JsoncError(message, position(at));
  };
  const shown = (at: number) => at >= text.length ? "the end" : JSON.stringify(text[at]);

  const skip = () => {
    while (i < text.length) {
      const c = text[i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") i++;
      else if (c === "/" && text[i + 1] === "/") {
        const end = text.indexOf("\n", i);
        i = end < 0 ? text.length : end + 1;
      } else if (c === "/" && text[i + 1] === "*") {
        const end = text.indexOf("*/", i + 2);
        if (end < 0) fail("unterminated comment");
        i = end + 2;
      } else break;
    }
  };

  const string = (): string => {
    const start = i++;
    let out = "";
    for (;;) {
      const c = text[i];
      if (c === undefined) fail("unterminated string", start);
      if (c === '"') break;
      if (c < " ") fail("control character in a string (write it as an escape)");
      if (c !== "\\") {
        // A run of plain characters in one slice.
        let end = i + 1;
        while (end < text.length && text[end] !== '"' && text[end] !== "\\" && text[end] >= " ") {
          end++;
        }
        out += text.slice(i, end);
        i = end;
        continue;
      }
      const e = text[i + 1];
      if (e === "u") {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape");
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
        out += ESCAPES[e];
        i += 2;
      } else fail(`bad escape \\${e ?? ""}`);
    }
    i++;
    return out;
  };

  const number = (): number => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail(`unexpected ${shown(i)}`);
    i += m![0].length;
    const n = Number(m![0]);
    if (!Number.isFinite(n)) fail("number out of range", i - m![0].length);
    return n;
  };

  const value = (depth: number): JsoncValue => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    skip();
    const c = text[i];
    if (c === "{") return object(depth);
    if (c === "[") return array(depth);
    if (c === '"') return string();
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, i) && !/[\w$]/.test(text[i + word.length] ?? "")) {
        i += word.length;
        return v;
      }
    }
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    return fail(`unexpected ${shown(i)}`);
  };

  // After an element: a comma (perhaps trailing) or the closing bracket.
  const more = (close: string): boolean => {
    skip();
    if (text[i] === ",") {
      i++;
      skip();
      return text[i] !== close;
    }
    if (text[i] !== close) fail(`expected ',' or '${close}', found ${shown(i)}`);
    return false;
  };

  const object = (depth: number): JsoncObject => {
    const out: JsoncObject = Object.create(null);
    const where = new Map<string, Position>();
    keys.set(out, where);
    i++;
    skip();
    if (text[i] !== "}") {
      do {
        skip();
        if (text[i] !== '"') fail(`expected a key in double quotes, found ${shown(i)}`);
        const at = i;
        const key = string();
        if (where.has(key)) {
          const first = where.get(key)!;
          fail(`duplicate key ${JSON.stringify(key)} (first at line ${first.line})`, at);
        }
        where.set(key, position(at));
        skip();
        if (text[i] !== ":") fail(`expected ':' after ${JSON.stringify(key)}`);
        i++;
        out[key] = value(depth + 1);
      } while (more("}"));
    }
    i++;
    return out;
  };

  const array = (depth: number): JsoncValue[] => {
    const out: JsoncValue[] = [];
    i++;
    skip();
    if (text[i] !== "]") {
      do out.push(value(depth + 1)); while (more("]"));
    }
    i++;
    return out;
  };

  const result = value(0);
  skip();
  if (i < text.length) fail(`unexpected ${shown(i)} after the value`);
  return { value: result, keys };
}
