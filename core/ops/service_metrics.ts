/**
 * The metrics every netkit service keeps, named in Prometheus' conventions
 * (`netkit_` prefix, `_total` counters, seconds and bytes), each labelled
 * with the service. Every label takes values from a small fixed set (request
 * types, results that are status codes or netkit error codes, refusal
 * reasons, cache names): never a file name or a client address. One instance
 * per server (per Worker, in the Worker models; the admin endpoint sums them).
 * docs/operations.md lists the metrics with their types and labels.
 *
 * @module
 */

import { isErrorCode } from "../errors.ts";
import { type Counter, type Histogram, MetricsRegistry, type MetricsSnapshot } from "./metrics.ts";

/** The services that keep metrics. */
export type ServiceName = "serve-files" | "http" | "tftp";

/** Why a connection or request was turned away. */
export type Refusal = "busy" | "auth" | "limit";

/**
 * How an upload ended: `verified` (complete and checked end to end by a
 * digest), `completed` (complete; the protocol has no digest), rejected by
 * checksum, `abandoned` after it began, or `refused` before any data.
 */
export type UploadResult = "verified" | "completed" | "checksum_mismatch" | "abandoned" | "refused";

/** Bucket upper bounds of the duration histogram, in seconds. */
export const DURATION_BUCKETS: readonly number[] = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  300,
];

/** What a request type outside a service's list is counted as. */
export const OTHER = "OTHER";

/** Hit and miss counts a cache keeps itself. */
export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
}

/** True for a result label value: ok, an HTTP status, or a netkit error code. */
function boundedResult(result: string): boolean {
  return result === "ok" || isErrorCode(result) ||
    (result.length === 3 && result >= "100" && result <= "599");
}

/** The metrics of one server (or one Worker of a server). */
export class ServiceMetrics {
  readonly registry = new MetricsRegistry();
  readonly #kinds: ReadonlySet<string>;
  readonly #byRequest = new Map<string, Map<string, { count: Counter; time: Histogram }>>();
  readonly #requests;
  readonly #durations;
  readonly #sent: Counter;
  readonly #received: Counter;
  readonly #accepted: Counter;
  readonly #open;
  readonly #refused;
  readonly #uploads;
  readonly #cacheHits;
  readonly #cacheMisses;
  readonly #workers;

  /**
   * @param service the service's name, the `service` label of every series
   * @param kinds the request types it counts (methods, message or packet
   *   types); anything else counts as `OTHER`
   */
  constructor(readonly service: ServiceName, kinds: readonly string[]) {
    this.#kinds = new Set(kinds);
    const r = this.registry;
    this.#requests = r.counter(
      "netkit_requests_total",
      "Requests served, by request type and result (an HTTP status, or ok or a netkit error code).",
      ["service", "request", "result"],
    );
    this.#durations = r.histogram(
      "netkit_request_duration_seconds",
      "Time to serve a request: the whole transfer for serve-files and tftp; " +
        "for http, until the response head is ready (the body streams on).",
      ["service", "request"],
      DURATION_BUCKETS,
    );
    this.#sent = r.counter(
      "netkit_sent_bytes_total",
      "Payload bytes sent: file data, listings, response bodies.",
      ["service"],
    ).labels(service);
    this.#received = r.counter(
      "netkit_received_bytes_total",
      "Payload bytes received: uploaded file data.",
      ["service"],
    ).labels(service);
    this.#accepted = r.counter(
      "netkit_connections_total",
      "Connections accepted (tftp: transfers started).",
      ["service"],
    ).labels(service);
    this.#open = r.gauge(
      "netkit_connections_open",
      "Connections open now (tftp: transfers in flight; http: requests in flight).",
      ["service"],
    ).labels(service);
    this.#refused = r.counter(
      "netkit_refused_total",
      "Connections or requests turned away: busy (a connection limit), auth " +
        "(credentials missing or wrong), limit (a per-client or size limit).",
      ["service", "reason"],
    );
    this.#uploads = r.counter(
      "netkit_uploads_total",
      "Uploads by how they ended: verified, completed, checksum_mismatch, abandoned, refused.",
      ["service", "result"],
    );
    this.#cacheHits = r.counter(
      "netkit_cache_hits_total",
      "Lookups answered from an in-memory cache.",
      ["service", "cache"],
    );
    this.#cacheMisses = r.counter(
      "netkit_cache_misses_total",
      "Lookups an in-memory cache could not answer.",
      ["service", "cache"],
    );
    this.#workers = r.gauge(
      "netkit_workers",
      "Worker isolates serving (0: the main isolate serves alone).",
      ["service"],
    ).labels(service);
  }

  /** Counts one request of type `kind` that ended with `result`, taking `seconds`. */
  request(kind: string, result: string, seconds: number): void {
    let byResult = this.#byRequest.get(kind);
    if (byResult === undefined) {
      if (!this.#kinds.has(kind)) kind = OTHER;
      byResult = this.#byRequest.get(kind);
      if (byResult === undefined) this.#byRequest.set(kind, byResult = new Map());
    }
    let s = byResult.get(result);
    if (s === undefined) {
      // Keyed by the label value only: an unexpected result never grows the map.
      if (!boundedResult(result)) result = "other";
      s = byResult.get(result);
      if (s === undefined) {
        s = {
          count: this.#requests.labels(this.service, kind, result),
          time: this.#durations.labels(this.service, kind),
        };
        byResult.set(result, s);
      }
    }
    s.count.value++;
    s.time.observe(seconds);
  }

  /** Counts payload bytes sent. */
  sent(bytes: number): void {
    this.#sent.value += bytes;
  }

  /** Counts payload bytes received. */
  received(bytes: number): void {
    this.#received.value += bytes;
  }

  /** Counts a connection (or transfer) taken on. */
  accepted(): void {
    this.#accepted.value++;
  }

  /** Adds `n` to the connections open now (negative when they close). */
  open(n: number): void {
    this.#open.value += n;
  }

  /** Reads the connections open now from `count` at every snapshot. */
  openFrom(count: () => number): void {
    this.registry.onCollect(() => this.#open.set(count()));
  }

  /** Counts a connection or request turned away. */
  refused(reason: Refusal): void {
    this.#refused.labels(this.service, reason).value++;
  }

  /** Counts an upload that ended. */
  upload(result: UploadResult): void {
    this.#uploads.labels(this.service, result).value++;
  }

  /** Reports the hit and miss counts `stats` keeps under the name `cache`. */
  cache(cache: string, stats: CacheStats): void {
    const hits = this.#cacheHits.labels(this.service, cache);
    const misses = this.#cacheMisses.labels(this.service, cache);
    this.registry.onCollect(() => {
      hits.value = stats.hits;
      misses.value = stats.misses;
    });
  }

  /** Sets the number of Worker isolates serving. */
  workers(n: number): void {
    this.#workers.set(n);
  }

  /** Every metric now. */
  snapshot(): MetricsSnapshot {
    return this.registry.snapshot();
  }
}
