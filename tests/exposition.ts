/**
 * A strict reader of Prometheus' text exposition format (version 0.0.4), for
 * tests: it refuses what Prometheus would refuse, and what the format's
 * rules forbid though a lenient scraper lets it pass (a family split in two,
 * a TYPE after its samples, a series twice, a histogram whose buckets do not
 * add up). netkit's `/metrics` must pass it whole.
 *
 * @module
 */

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family: its type, help and samples in order. */
export interface ParsedFamily {
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string | null;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** Go's ParseFloat as Prometheus reads sample values. */
function parseValue(text: string, where: string): number {
  if (/^[+-]?inf$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    throw new Error(`${where}: bad value '${text}'`);
  }
  return Number(text);
}

/** The family a sample name belongs to, given the families declared so far. */
function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && ["histogram", "summary"].includes(types.get(base) ?? "")) {
      return base;
    }
  }
  return name;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    if (!m) throw new Error(`${where}: bad label at '${text.slice(i)}'`);
    const name = m[1];
    if (Object.hasOwn(labels, name)) throw new Error(`${where}: label ${name} twice`);
    i += m[0].length;
    let value = "";
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === "\n") throw new Error(`${where}: raw newline in a label value`);
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "\\") value += "\\";
        else if (e === '"') value += '"';
        else if (e === "n") value += "\n";
        else throw new Error(`${where}: bad escape \\${e}`);
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++;
    labels[name] = value;
    if (text[i] === ",") i++;
    else if (i < text.length) throw new Error(`${where}: expected ',' between labels`);
  }
  return labels;
}

/** Checks a histogram's samples: per series, ascending `le`, cumulative counts, `+Inf` = `_count`. */
function checkHistogram(name: string, samples: Sample[]): void {
  const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const one = series.get(key) ?? { buckets: [] };
    series.set(key, one);
    if (s.name === `${name}_bucket`) {
      if (le === undefined) throw new Error(`${name}_bucket without le`);
      one.buckets.push([parseValue(le, `${name} le`), s.value]);
    } else if (s.name === `${name}_sum`) one.sum = s.value;
    else if (s.name === `${name}_count`) one.count = s.value;
    else throw new Error(`${s.name} in histogram ${name}`);
  }
  for (const [key, h] of series) {
    if (h.count === undefined || h.sum === undefined) {
      throw new Error(`histogram ${name} ${key}: no _sum or _count`);
    }
    const last = h.buckets.at(-1);
    if (!last || last[0] !== Infinity) throw new Error(`histogram ${name} ${key}: no +Inf bucket`);
    h.buckets.forEach(([le, n], i) => {
      if (i > 0 && (le <= h.buckets[i - 1][0] || n < h.buckets[i - 1][1])) {
        throw new Error(`histogram ${name} ${key}: buckets not ascending and cumulative`);
      }
    });
    if (last[1] !== h.count) throw new Error(`histogram ${name} ${key}: +Inf bucket != _count`);
  }
}

/**
 * Parses `text` strictly.
 *
 * @throws {Error} naming the line of the first breach of the format
 */
export function parseExposition(text: string): Map<string, ParsedFamily> {
  if (text !== "" && !text.endsWith("\n")) throw new Error("the last line has no newline");
  const families = new Map<string, ParsedFamily>();
  const types = new Map<string, string>();
  const done = new Set<string>(); // families whose samples have ended
  const seen = new Set<string>();
  let current: string | null = null;
  // Everything of one family comes together: once another begins, it is closed.
  const enter = (family: string, where: string) => {
    if (family === current) return;
    if (done.has(family)) throw new Error(`${where}: ${family} is split apart`);
    if (current !== null) done.add(current);
    current = family;
  };
  const lines = text.split("\n").slice(0, -1);
  lines.forEach((line, n) => {
    const where = `line ${n + 1}`;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) ([^ ]+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name '${name}'`);
      enter(name, where);
      const f = families.get(name) ?? { type: "untyped" as const, help: null, samples: [] };
      families.set(name, f);
      if (kind === "TYPE") {
        if (types.has(name)) throw new Error(`${where}: second TYPE of ${name}`);
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type '${rest}'`);
        if (f.samples.length) throw new Error(`${where}: TYPE of ${name} after its samples`);
        f.type = rest as ParsedFamily["type"];
        types.set(name, rest);
      } else {
        if (f.help !== null) throw new Error(`${where}: second HELP of ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ""))) {
          throw new Error(`${where}: bad escape in HELP`);
        }
        f.help = rest.replace(/\\(\\|n)/g, (_, c) => c === "n" ? "\n" : "\\");
      }
      return;
    }
    if (line.trim() === "") throw new Error(`${where}: empty line`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([^ ]+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`${where}: not a sample: '${line}'`);
    const [, name, labelText, valueText] = m;
    const labels = parseLabels(labelText ?? "", where);
    for (const l of Object.keys(labels)) {
      if (!LABEL.test(l) || l.startsWith("__")) throw new Error(`${where}: bad label name ${l}`);
    }
    const family = familyOf(name, types);
    enter(family, where);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: series ${key} twice`);
    seen.add(key);
    const value = parseValue(valueText, where);
    const f = families.get(family) ?? { type: "untyped" as const, help: null, samples: [] };
    families.set(family, f);
    if (f.type === "counter" && !(value >= 0)) throw new Error(`${where}: negative counter`);
    f.samples.push({ name, labels, value });
  });
  for (const [name, f] of families) {
    if (f.type === "histogram") checkHistogram(name, f.samples);
  }
  return families;
}

/**
 * The value of the one sample of `family` whose labels include `labels`
 * (0 when there is none), e.g. `value(m, "netkit_requests_total", { request: "GET" })`.
 * With several matches, their sum.
 */
export function sampleSum(
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const family = familyOf(name, new Map([...families].map(([k, f]) => [k, f.type])));
  return (families.get(family)?.samples ?? [])
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
