/**
 * Metrics in Prometheus' data model: counters, gauges and histograms, each a
 * family of series told apart by labels, kept as plain numbers so that
 * counting costs an addition. A registry takes a snapshot (plain data, so a
 * Worker can post it to its parent), and snapshots of several isolates merge
 * by summing; `core/ops/exposition.ts` renders one for Prometheus.
 *
 * Label values are the caller's to bound: a family holds at most
 * `maxSeries` series (plus one), and further label sets all land in that
 * one series whose labels read `_overflow`, so a bug can never grow memory
 * without end.
 *
 * @module
 */

/** The kinds of metric. */
export type MetricType = "counter" | "gauge" | "histogram";

/** One series in a snapshot. */
export interface SeriesSnapshot {
  /** Label values, in the family's label order. */
  labels: string[];
  /** The counter's or gauge's value; a histogram's sum. */
  value: number;
  /** A histogram's counts per bucket (not cumulative), the last for `+Inf`. */
  counts?: number[];
}

/** One family in a snapshot. */
export interface FamilySnapshot {
  name: string;
  help: string;
  type: MetricType;
  labelNames: string[];
  /** A histogram's bucket upper bounds (without `+Inf`). */
  buckets?: number[];
  series: SeriesSnapshot[];
}

/** Every family of a registry at one moment. */
export type MetricsSnapshot = FamilySnapshot[];

/** A number that only goes up. */
export class Counter {
  value = 0;
  /** Adds `n` (1 by default). */
  inc(n = 1): void {
    this.value += n;
  }
}

/** A number that goes up and down. */
export class Gauge {
  value = 0;
  set(v: number): void {
    this.value = v;
  }
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
}

/** Observations counted into buckets by upper bound, with their sum. */
export class Histogram {
  value = 0;
  readonly counts: number[];
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array(bounds.length + 1).fill(0);
  }
  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]) i++;
    this.counts[i]++;
    this.value += v;
  }
}

type Child = Counter | Gauge | Histogram;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const OVERFLOW = "_overflow";

/** A metric and its series, one per set of label values. */
export class Family<C extends Child> {
  readonly #children = new Map<string, { labels: string[]; child: C }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    readonly labelNames: readonly string[],
    readonly make: () => C,
    readonly maxSeries: number,
    readonly buckets?: readonly number[],
  ) {
    if (!NAME.test(name)) throw new RangeError(`bad metric name '${name}'`);
    for (const l of labelNames) {
      if (!LABEL.test(l) || l.startsWith("__") || (type === "histogram" && l === "le")) {
        throw new RangeError(`bad label name '${l}' of ${name}`);
      }
    }
  }

  /**
   * The series for these label values (as many as the family has label
   * names), made on first use.
   */
  labels(...values: string[]): C {
    const key = values.length === 1 ? values[0] : values.join("\u0000");
    const hit = this.#children.get(key);
    if (hit !== undefined) return hit.child;
    if (values.length !== this.labelNames.length) {
      throw new RangeError(`${this.name} takes ${this.labelNames.length} labels`);
    }
    let labels = values;
    let at = key;
    if (this.#children.size >= this.maxSeries) {
      // Full: every further label set shares one series (made once, past the cap).
      labels = values.map(() => OVERFLOW);
      at = labels.join("\u0000");
      const overflow = this.#children.get(at);
      if (overflow !== undefined) return overflow.child;
    }
    const child = this.make();
    this.#children.set(at, { labels, child });
    return child;
  }

  /** The family's data now. */
  snapshot(): FamilySnapshot {
    const series = [...this.#children.values()].map(({ labels, child }) => ({
      labels: [...labels],
      value: child.value,
      ...(child instanceof Histogram ? { counts: [...child.counts] } : {}),
    }));
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      labelNames: [...this.labelNames],
      ...(this.buckets ? { buckets: [...this.buckets] } : {}),
      series,
    };
  }
}

/** A set of metric families, and the hooks that bring them up to date. */
export class MetricsRegistry {
  readonly #families: Family<Child>[] = [];
  readonly #collectors: (() => void)[] = [];

  /** @param maxSeries most series per family @default 1000 */
  constructor(readonly maxSeries = 1000) {}

  #add<C extends Child>(family: Family<C>): Family<C> {
    if (this.#families.some((f) => f.name === family.name)) {
      throw new RangeError(`metric ${family.name} registered twice`);
    }
    this.#families.push(family);
    return family;
  }

  /** A counter family. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Family<Counter> {
    return this.#add(
      new Family(name, help, "counter", labelNames, () => new Counter(), this.maxSeries),
    );
  }

  /** A gauge family. */
  gauge(name: string, help: string, labelNames: readonly string[] = []): Family<Gauge> {
    return this.#add(
      new Family(name, help, "gauge", labelNames, () => new Gauge(), this.maxSeries),
    );
  }

  /** A histogram family with these bucket upper bounds (ascending). */
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ): Family<Histogram> {
    if (buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]))) {
      throw new RangeError(`${name}: buckets must be finite and ascending`);
    }
    return this.#add(
      new Family(
        name,
        help,
        "histogram",
        labelNames,
        () => new Histogram(buckets),
        this.maxSeries,
        buckets,
      ),
    );
  }

  /** Runs `fn` before every snapshot: the place to read counts kept elsewhere. */
  onCollect(fn: () => void): void {
    this.#collectors.push(fn);
  }

  /** Every family's data now. */
  snapshot(): MetricsSnapshot {
    for (const c of this.#collectors) c();
    return this.#families.map((f) => f.snapshot());
  }
}

/**
 * Sums snapshots of the same families (one per isolate) into one: counters,
 * gauges and histogram buckets add up series by series.
 */
export function mergeSnapshots(snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  const families = new Map<string, FamilySnapshot>();
  const series = new Map<string, SeriesSnapshot>();
  for (const snapshot of snapshots) {
    for (const f of snapshot) {
      let into = families.get(f.name);
      if (!into) {
        into = { ...f, labelNames: [...f.labelNames], series: [] };
        families.set(f.name, into);
      } else if (into.type !== f.type || into.labelNames.join() !== f.labelNames.join()) {
        throw new RangeError(`metric ${f.name} differs between snapshots`);
      }
      for (const s of f.series) {
        const key = `${f.name}\u0000${s.labels.join("\u0000")}`;
        const have = series.get(key);
        if (!have) {
          const copy = { labels: [...s.labels], value: s.value, counts: s.counts && [...s.counts] };
          if (!copy.counts) delete copy.counts;
          series.set(key, copy);
          into.series.push(copy);
        } else {
          have.value += s.value;
          s.counts?.forEach((c, i) => have.counts![i] += c);
        }
      }
    }
  }
  return [...families.values()];
}
