/**
 * The options of the browser-facing half of `netkit http`: uploads, the
 * other writes, credentials and the listing page. Everything that writes is
 * off by default and needs credentials when on.
 *
 * @module
 */

import type { AuthThrottleOptions } from "../core/auth.ts";

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
  /** A bearer token (`Authorization: Bearer TOKEN`). */
  token?: string;
  /** Require the credentials for reads too. @default false */
  authRead?: boolean;
  /** How wrong credentials are slowed down. @default 3 free failures, then 250 ms doubling to 8 s */
  authThrottle?: AuthThrottleOptions;
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
