/**
 * What every service adds to its command line for running in production,
 * and what it starts from it: `--admin HOST:PORT` (the admin endpoint,
 * loopback when only a port is given, off by default) and `--log-format
 * clf|json`. The admin endpoint's health joins the service's own state (is
 * it taking work?) with its library folder's; its metrics are the sum of
 * every isolate's, with the process's own.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { type HostPort, parseHostPort, UsageError } from "../cli/cli_args.ts";
import type { FlagTable } from "../cli/command_line.ts";
import { type AdminServer, startAdminServer } from "./admin_server.ts";
import { LibraryHealth } from "../library/library_health.ts";
import { formatHostPort, isLoopback } from "../net/net.ts";
import { LOG_FORMATS, type LogFormat } from "./log_format.ts";
import { mergeSnapshots, MetricsRegistry, type MetricsSnapshot } from "./metrics.ts";
import { renderExposition } from "./exposition.ts";

/** The flags every service has, merged into its flag table. */
export const SERVICE_FLAGS = {
  admin: { type: "string" },
  "log-format": { type: "string", default: "clf" },
} as const satisfies FlagTable;

/** Parses `--admin`: `PORT` (on 127.0.0.1), `HOST:PORT`, `[V6]:PORT`, or `off`. */
export function parseAdmin(text: string | undefined): HostPort | null {
  if (text === undefined || text === "off") return null;
  const bad = () => new UsageError(`--admin: expected PORT, HOST:PORT or off, got '${text}'`);
  let address: HostPort;
  try {
    address = parseHostPort(/^\d+$/.test(text) ? `127.0.0.1:${text}` : text, -1);
  } catch {
    throw bad();
  }
  if (address.port < 0) throw bad();
  return address;
}

/** Parses `--log-format`. */
export function parseLogFormat(text: string): LogFormat {
  if (!(LOG_FORMATS as readonly string[]).includes(text)) {
    throw new UsageError(`--log-format: expected ${LOG_FORMATS.join(" or ")}, got '${text}'`);
  }
  return text as LogFormat;
}

/** What the admin endpoint asks of a running server (every service's handle has it). */
export interface RunningService {
  /** Null while the server takes work, else why not (shutting down, full). */
  readonly refusing: string | null;
  /** The metrics of every isolate serving. */
  metrics(): Promise<MetricsSnapshot[]>;
}

/** What the admin endpoint of one service reads. */
export interface ServiceAdminOptions {
  /** The library folder. */
  root: string;
  /** True when the service writes into it (its health then checks writes). */
  writable: boolean;
  /** The running server. */
  service: RunningService;
}

/** The process's own metrics: start time, memory, the build. */
function processMetrics(): MetricsRegistry {
  const r = new MetricsRegistry();
  r.gauge("process_start_time_seconds", "Start time of the process since the epoch, in seconds.")
    .labels().set(Math.round(Date.now() - performance.now()) / 1000);
  const rss = r.gauge("process_resident_memory_bytes", "Resident memory of the process, in bytes.")
    .labels();
  r.onCollect(() => rss.set(Deno.memoryUsage().rss));
  r.gauge("netkit_build_info", "The netkit build: version and Deno version, value 1.", [
    "version",
    "deno",
  ]).labels(denoJson.version, Deno.version.deno).set(1);
  return r;
}

/** Starts the admin endpoint of a running service at `address`. */
export function startServiceAdmin(
  address: HostPort,
  o: ServiceAdminOptions,
): Promise<AdminServer> {
  const library = new LibraryHealth(o.root, o.writable);
  const own = processMetrics();
  return startAdminServer(address, {
    health: async () => o.service.refusing ?? await library.check(),
    metrics: async () =>
      renderExposition(mergeSnapshots([own.snapshot(), ...await o.service.metrics()])),
  });
}

/** How a command line reports on its admin endpoint. */
export interface AdminReport {
  /** Prints one of the service's messages. */
  notice(message: string, level?: "warning"): void;
  /** Stops the service, when the endpoint cannot start. */
  abandon(): Promise<void> | void;
}

/**
 * Starts the admin endpoint `--admin` asked for (none for null) and says
 * where it listens; when it cannot start, stops the service and fails
 * naming the flag.
 */
export async function openAdmin(
  address: HostPort | null,
  o: ServiceAdminOptions,
  report: AdminReport,
): Promise<AdminServer | null> {
  if (address === null) return null;
  let admin: AdminServer;
  try {
    admin = await startServiceAdmin(address, o);
  } catch (e) {
    await report.abandon();
    throw new Error(
      `--admin ${formatHostPort(address.hostname, address.port)}: ${(e as Error).message}`,
    );
  }
  const { hostname, port } = admin.addr;
  report.notice(`admin on ${formatHostPort(hostname, port)}`);
  if (!isLoopback(hostname)) {
    report.notice("the admin endpoint has no credentials; keep its address private", "warning");
  }
  return admin;
}
