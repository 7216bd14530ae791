/**
 * What the file service's server shares with each of its sessions, and what
 * the server sees of a session: apart from `session.ts`, so the modules
 * that serve one request each depend on this and not on the session.
 *
 * @module
 */

import type { AccessRules } from "../core/access/access_rules.ts";
import type { SignIn } from "../core/access/sign_in.ts";
import type { HashPool } from "../core/hash/hash_pool.ts";
import type { ServiceMetrics } from "../core/ops/service_metrics.ts";
import type { FileStore } from "./file_store.ts";
import type { Handshakes } from "./handshakes.ts";
import type { ResolvedFileServerOptions } from "./options.ts";

/**
 * Why a request was cut short, as its log line says: the idle watchdog
 * closed the connection, the server was shutting down, or the client went.
 */
export type CutReason = "timeout" | "shutdown" | "disconnected";

/** Everything a session needs from its server. */
export interface SessionContext {
  store: FileStore;
  options: ResolvedFileServerOptions;
  /** Writes one log line; null when the log is off (lines are then not even made). */
  log: ((line: string) => void) | null;
  /** The credential check (token, users), shared by the server's sessions. */
  signIn: SignIn;
  /** Who may read, write and replace which names. */
  rules: AccessRules;
  /** Hashes large transfers on another core. */
  hashPool: HashPool;
  /**
   * The server's live sessions: its idle watchdog and its shutdown sweep over
   * them, so a session needs no timer and no abort listener of its own.
   */
  sessions: Set<LiveSession>;
  /** The server's connections still in their handshake; a session leaves it once welcomed. */
  handshakes: Handshakes;
  /** Where requests, bytes and uploads are counted; null when metrics are off. */
  metrics: ServiceMetrics | null;
}

/** A session as its server's idle watchdog and shutdown sweep see it. */
export interface LiveSession {
  /** True while a request is being served; the shutdown sweep spares it. */
  readonly busy: boolean;
  /** When it last moved a byte, ms since the epoch. */
  readonly lastActive: number;
  /** Ends the connection, saying why in the log of a request it cuts. */
  close(reason: CutReason): void;
}
