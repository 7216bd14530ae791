/**
 * The options of the browser-facing half of `netkit http`: uploads, the
 * other writes, credentials and the listing page. Everything that writes is
 * off by default and needs credentials when on.
 *
 * @module
 */

import { AccessRules, D, W } from "../core/access/access_rules.ts";
import type { AuthThrottleOptions } from "../core/access/auth_throttle.ts";

/** Writes, credentials and archives, on top of the static file options. */
export interface WebOptions {
  /** Accept `PUT` (and resumable `PATCH`) uploads. @default false */
  upload?: boolean;
  /** Let an upload replace an existing file (atomic rename). @default false */
  overwrite?: boolean;
  /** Largest accepted upload in bytes; none when unset. */
  maxUpload?: number;
  /** Let `MKCOL` and uploads create folders. @default false */
  mkdir?: boolean;
  /** Let `DELETE` remove files and empty folders. @default false */
  delete?: boolean;
  /** `user:password` for HTTP Basic authentication. */
  auth?: string;
  /** An htpasswd file of accounts (bcrypt or SHA-crypt), followed while running. */
  users?: string;
  /**
   * Access rules, `PATH:PERMS:WHO` each (`core/access/access_rules.ts`). Without
   * any, the switches decide as they always did: reads for everyone (or the
   * signed-in with `authRead`), writes for the signed-in.
   */
  allow?: string[];
  /** A bearer token (`Authorization: Bearer TOKEN`). */
  token?: string;
  /** Require the credentials for reads too (not with `allow`). @default false */
  authRead?: boolean;
  /** How sign-in attempts are paced. @default see {@linkcode AuthThrottleOptions} */
  authThrottle?: AuthThrottleOptions;
  /** The clock share links are judged by, ms since the epoch (tests). @default Date.now */
  clock?: () => number;
  /** Offer folders as streamed `?archive=zip` and `?archive=tar.gz`. @default true */
  archive?: boolean;
  /** Answer WebDAV (RFC 4918 class 1 and 2); writes still follow the switches above. @default false */
  webdav?: boolean;
  /** WebDAV: macOS metadata files (`._*`, `.DS_Store`) are refused, hidden (accepted, dropped) or kept. @default "refuse" */
  macosFiles?: "refuse" | "hide" | "keep";
}

/** True when any write method is switched on. */
export function writesEnabled(o: WebOptions): boolean {
  return (o.upload ?? false) || (o.mkdir ?? false) || (o.delete ?? false);
}

/** True when some credential is configured. */
export function credentialsConfigured(o: WebOptions): boolean {
  return o.auth !== undefined || o.token !== undefined || o.users !== undefined;
}

/**
 * The rules in force: `allow` as given, or, without any, the rule set the
 * switches always meant: reading for everyone (`authRead`: for the signed-in),
 * writing and replacing for the signed-in.
 *
 * @throws {RangeError} for a bad rule
 */
export function accessRulesOf(o: WebOptions): AccessRules {
  if (o.allow && o.allow.length > 0) return AccessRules.parse(o.allow);
  const read = o.authRead && credentialsConfigured(o) ? "*" : "-";
  const rules = [`/:r:${read}`];
  if (o.upload || o.mkdir) rules.push("/:w:*");
  if (o.delete || o.overwrite) rules.push("/:d:*");
  return AccessRules.parse(rules);
}

/**
 * The write methods on: those the switches name, and with rules, those the
 * rules grant (`w`: PUT, PATCH, MKCOL; `d`: DELETE).
 */
export function writeMethods(o: WebOptions): Set<string> {
  const on = new Set<string>();
  const rules = o.allow && o.allow.length > 0 ? AccessRules.parse(o.allow) : null;
  const w = rules?.grants(W) ?? false;
  if (o.upload || w) on.add("PUT").add("PATCH");
  if (o.mkdir || w) on.add("MKCOL");
  if (o.delete || (rules?.grants(D) ?? false)) on.add("DELETE");
  return on;
}
