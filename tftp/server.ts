/**
 * The TFTP server: one UDP socket takes requests, and every transfer gets a
 * fresh ephemeral socket of its own (RFC 1350's transfer IDs). The number of
 * transfers in flight is bounded, in total and per client address; a request
 * beyond either bound is answered with an ERROR.
 * Malformed packets on the request port get ERROR 4 and are dropped.
 *
 * @module
 */

import { type ErrorCodeName, isNetkitError, NetkitError } from "../core/errors.ts";
import {
  decodePacket,
  encodePacket,
  MAX_BLKSIZE,
  type RequestPacket,
  TftpErrorCode,
} from "../protocol/tftp/packet.ts";
import { printableText } from "../core/text/printable.ts";
import { Library } from "../core/library/library.ts";
import { AccessRules } from "../core/access/access_rules.ts";
import { parseNetRange } from "../core/net/net_range.ts";
import { Channel } from "./channel.ts";
import { addressKey, formatHostPort } from "../core/net/net.ts";
import { runSession } from "./session.ts";
import { escapeField, jsonLine, type LogFormat } from "../core/ops/log_format.ts";
import type { MetricsSnapshot } from "../core/ops/metrics.ts";
import { ServiceMetrics } from "../core/ops/service_metrics.ts";

/** Why a WRQ failed before any data: counted as a refused upload, not an abandoned one. */
const REFUSED_UPLOAD: ReadonlySet<string> = new Set<ErrorCodeName>([
  "READ_ONLY",
  "EXISTS",
  "INVALID_NAME",
  "FORBIDDEN",
  "NOT_FOUND",
  "NO_SPACE",
]);

/** The server's port unless told otherwise (69 needs privileges). */
export const DEFAULT_TFTP_PORT = 6969;

/** Options of {@linkcode startTftpServer}. */
export interface TftpServerOptions {
  /** Folder to serve; nothing outside it is reachable. */
  root: string;
  /** Address to bind. @default "127.0.0.1" */
  hostname?: string;
  /** UDP port; 0 picks a free one. @default 6969 */
  port?: number;
  /** Accept uploads (WRQ). @default false */
  allowWrite?: boolean;
  /** Client address ranges that may read (`10.0.0.0/8`, `::1`, `any`). @default everyone */
  readFrom?: string[];
  /** Client address ranges that may write (with `allowWrite`). @default everyone */
  writeFrom?: string[];
  /** Let uploads replace existing files. @default false */
  overwrite?: boolean;
  /** Largest upload, in bytes. @default 1 GiB */
  maxWriteSize?: number;
  /** Transfers in flight at once. @default 64 */
  maxTransfers?: number;
  /**
   * Transfers in flight at once from one client address (an IPv6 /64), so
   * one host cannot take every slot. @default 16
   */
  maxPerHost?: number;
  /** Retransmission timeout, in ms, unless a client negotiates one. @default 1000 */
  timeoutMs?: number;
  /** Retransmissions without progress before a transfer is dropped. @default 5 */
  retries?: number;
  /** Largest block size granted. @default 65464 */
  maxBlksize?: number;
  /** Largest window granted. @default 64 */
  maxWindowsize?: number;
  /** Receives one line per finished transfer. @default none */
  log?: (line: string) => void;
  /** The format of those lines: text, or one JSON object per line. @default "clf" */
  logFormat?: LogFormat;
  /** Keep metrics (transfers, bytes, uploads) for `metrics()`. @default false */
  metrics?: boolean;
}

/** A running server. */
export interface TftpServer extends AsyncDisposable {
  /** The bound request address (with the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** Transfers in flight right now. */
  readonly active: number;
  /** The served folder's canonical path. */
  readonly root: string;
  /** Why new transfers would be turned away now (shutting down, full), or null. */
  readonly refusing: string | null;
  /** The server's metrics (none unless `metrics` is on). */
  metrics(): Promise<MetricsSnapshot[]>;
  /** Stops taking requests, ends transfers in flight, and resolves when all are gone; safe twice. */
  close(): Promise<void>;
}

/**
 * The rules of a TFTP server (it has no users): reading and writing by
 * client address range; replacing a file is writing with `overwrite`.
 *
 * @throws {RangeError} for a bad range
 */
export function tftpRulesOf(o: TftpServerOptions): AccessRules {
  const who = (nets: string[] | undefined) =>
    nets && nets.length > 0 ? nets.map((n) => `@${parseNetRange(n).text}`).join(",") : "-";
  const rules = [`/:r:${who(o.readFrom)}`];
  if (o.allowWrite) rules.push(`/:${o.overwrite ? "wd" : "w"}:${who(o.writeFrom)}`);
  return AccessRules.parse(rules);
}

/** Starts a TFTP server; see {@linkcode TftpServerOptions} for defaults. */
export async function startTftpServer(
  options: TftpServerOptions,
): Promise<TftpServer> {
  const rules = tftpRulesOf(options);
  const library = await Library.open(options.root);
  if (options.allowWrite) await library.cleanTemps();
  const hostname = options.hostname ?? "127.0.0.1";
  const conn = Deno.listenDatagram({
    transport: "udp",
    hostname,
    port: options.port ?? DEFAULT_TFTP_PORT,
  });
  const stop = new AbortController();
  const ctx = {
    library,
    allowWrite: options.allowWrite ?? false,
    overwrite: options.overwrite ?? false,
    rules,
    maxWriteSize: options.maxWriteSize ?? 1024 ** 3,
    maxBlksize: options.maxBlksize ?? MAX_BLKSIZE,
    maxWindowsize: options.maxWindowsize ?? 64,
    timeoutMs: options.timeoutMs ?? 1000,
    retries: options.retries ?? 5,
    signal: stop.signal,
  };
  const maxTransfers = options.maxTransfers ?? 64;
  const maxPerHost = options.maxPerHost ?? 16;
  const log = options.log ?? (() => {});
  const format = options.logFormat ?? "clf";
  const active = new Set<Promise<void>>();
  const perHost = new Map<string, number>();
  const metrics = options.metrics ? new ServiceMetrics("tftp", ["RRQ", "WRQ"]) : null;
  metrics?.openFrom(() => active.size);

  /** Logs and counts one transfer that ended. */
  const ended = (req: RequestPacket, from: Deno.NetAddr, ms: number, r: TransferEnd) => {
    const code = r.code;
    if (metrics) {
      metrics.request(req.op, code, ms / 1000);
      if (req.op === "RRQ") metrics.sent(r.bytes);
      else {
        metrics.received(r.bytes);
        metrics.upload(
          code === "ok" ? "completed" : REFUSED_UPLOAD.has(code) ? "refused" : "abandoned",
        );
      }
    }
    if (format === "json") {
      return log(jsonLine({
        time: Date.now(),
        service: "tftp",
        peer: fmt(from),
        user: null,
        request: req.op,
        path: req.filename,
        code,
        bytes: r.bytes,
        ms,
        ...(r.error === undefined ? {} : { error: r.error }),
      }));
    }
    const what = `${new Date().toISOString()} ${req.op} "${escapeField(req.filename)}" from ${
      fmt(from)
    }`;
    log(
      r.error === undefined
        ? `${what}: ok, ${r.bytes} bytes in ${ms.toFixed(0)} ms`
        : `${what}: ${r.error}`,
    );
  };

  const reply = (addr: Deno.NetAddr, code: number, message: string) =>
    conn.send(encodePacket({ op: "ERROR", code, message }), addr)
      .catch(() => {});

  const start = (req: RequestPacket, from: Deno.NetAddr) => {
    const t0 = performance.now();
    metrics?.accepted();
    const task = (async () => {
      let conn: Deno.DatagramConn;
      try {
        conn = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
      } catch (e) {
        const error = `cannot open a transfer socket: ${(e as Error).message}`;
        ended(req, from, performance.now() - t0, { bytes: 0, code: "INTERNAL", error });
        await reply(
          from,
          TftpErrorCode.NOT_DEFINED,
          "server cannot start a transfer",
        );
        return;
      }
      using ch = new Channel(conn, from);
      try {
        const r = await runSession(ch, req, ctx, from.hostname);
        ended(req, from, performance.now() - t0, { bytes: r.bytes, code: "ok" });
      } catch (e) {
        const error = printableText((e as Error).message ?? String(e));
        const code = isNetkitError(e) ? e.code : "INTERNAL";
        ended(req, from, performance.now() - t0, { bytes: 0, code, error });
      }
    })().catch(() => {}); // a throwing log callback must not take the server down
    active.add(task);
    const host = addressKey(from.hostname);
    perHost.set(host, (perHost.get(host) ?? 0) + 1);
    task.finally(() => {
      active.delete(task);
      const n = perHost.get(host)! - 1;
      if (n > 0) perHost.set(host, n);
      else perHost.delete(host);
    });
  };

  const loop = (async () => {
    const buf = new Uint8Array(65536 + 1);
    let failures = 0;
    for (;;) {
      let got: [Uint8Array, Deno.Addr];
      try {
        got = await conn.receive(buf);
        failures = 0;
      } catch (e) {
        if (stop.signal.aborted || ++failures > 100) return; // closed, or broken
        log(`receive failed: ${(e as Error).message}`);
        continue;
      }
      const [bytes, addr] = got as [Uint8Array, Deno.NetAddr];
      if (bytes.length >= 2 && bytes[0] === 0 && bytes[1] === 5) continue;
      let req: RequestPacket;
      try {
        const p = decodePacket(
          bytes.length > 65536 ? bytes.subarray(0, 2) : bytes,
        );
        if (p.op !== "RRQ" && p.op !== "WRQ") {
          throw new NetkitError("BAD_FRAME", `${p.op} is not a request`);
        }
        req = p;
      } catch (e) {
        await reply(
          addr,
          TftpErrorCode.ILLEGAL_OPERATION,
          (e as Error).message,
        );
        continue;
      }
      if (active.size >= maxTransfers) {
        metrics?.refused("busy");
        await reply(addr, TftpErrorCode.NOT_DEFINED, "server busy, try again later");
        continue;
      }
      if ((perHost.get(addressKey(addr.hostname)) ?? 0) >= maxPerHost) {
        metrics?.refused("limit");
        await reply(addr, TftpErrorCode.NOT_DEFINED, "too many transfers from your address");
        continue;
      }
      start(req, { ...addr });
    }
  })();

  let closing: Promise<void> | null = null;
  const close = () =>
    closing ??= (async () => {
      stop.abort(new NetkitError("CLOSED", "server is shutting down"));
      try {
        conn.close();
      } catch { /* already closed */ }
      await loop;
      await Promise.allSettled([...active]);
    })();

  return {
    addr: conn.addr as Deno.NetAddr,
    get active() {
      return active.size;
    },
    root: library.root,
    get refusing() {
      if (closing !== null) return "shutting down";
      return active.size >= maxTransfers ? `at the transfer limit (${maxTransfers})` : null;
    },
    metrics: () => Promise.resolve(metrics ? [metrics.snapshot()] : []),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** How a transfer ended: its bytes, `ok` or an error code, and the error's message. */
interface TransferEnd {
  bytes: number;
  code: ErrorCodeName | "ok";
  error?: string;
}

function fmt(a: Deno.NetAddr): string {
  return formatHostPort(a.hostname, a.port);
}
