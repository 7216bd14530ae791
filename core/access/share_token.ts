/**
 * Share links' tokens: the path, the rights (`r` read, or `w` upload into a
 * folder), the expiry and who made the link, signed with HMAC-SHA256 under
 * the library's share secret (`share_secret.ts`). Pure. A token names the
 * secret it was signed with, so a link signed before `--revoke-all` says
 * "revoked" rather than "altered".
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { resolveName } from "../library/jail.ts";

/** What a link grants. */
export interface ShareClaims {
  /** The shared file or folder, as segments under the root ([] for the root). */
  path: string[];
  /** `r`: read (and list, and download archives); `w`: upload into a folder. */
  rights: "r" | "w";
  /** When the link stops working, ms since the epoch (whole seconds). */
  expires: number;
  /** The user who made it (its rights end with theirs), or null for the server's owner. */
  creator: string | null;
}

/** The secret links are signed with. */
export interface ShareSecret {
  /** Short and public: names the secret in each token. */
  id: string;
  key: Uint8Array;
}

/** Why a link is refused. */
export type ShareRefusal = "malformed" | "revoked" | "altered" | "expired";

/** Longest accepted token, in characters. */
const MAX_TOKEN = 8192;

const b64url = (b: Uint8Array | string) =>
  (typeof b === "string" ? Buffer.from(b, "utf8") : Buffer.from(b)).toString("base64url");

function mac(secret: ShareSecret, body: string): Buffer {
  return createHmac("sha256", secret.key).update(body).digest();
}

/** Signs `claims`: the token to put in a URL (base64url, one `.`). */
export function signShare(claims: ShareClaims, secret: ShareSecret): string {
  const body = b64url(JSON.stringify({
    v: 1,
    k: secret.id,
    p: claims.path.join("/"),
    r: claims.rights,
    e: Math.floor(claims.expires / 1000),
    ...(claims.creator === null ? {} : { u: claims.creator }),
  }));
  return `${body}.${mac(secret, body).toString("base64url")}`;
}

/**
 * Checks a token: its form, its secret, its signature, then its expiry.
 *
 * @returns the claims, or why the link is refused
 */
export function verifyShare(
  token: string,
  secret: ShareSecret,
  now: number,
): ShareClaims | ShareRefusal {
  if (token.length > MAX_TOKEN || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/.test(token)) {
    return "malformed";
  }
  const [body, sig] = token.split(".");
  let c: Record<string, unknown> | null = null;
  try {
    c = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch { /* judged below */ }
  if (!timingSafeEqual(Buffer.from(sig, "base64url"), mac(secret, body))) {
    // Signed with a secret no longer in force, or changed on the way.
    return typeof c?.k === "string" && c.k !== secret.id ? "revoked" : "altered";
  }
  if (typeof c !== "object" || c === null || c.v !== 1) return "malformed";
  if (c.k !== secret.id) return "revoked";
  const { p, r, e, u } = c;
  if (typeof p !== "string" || (r !== "r" && r !== "w") || !Number.isSafeInteger(e)) {
    return "malformed";
  }
  if (u !== undefined && typeof u !== "string") return "malformed";
  let path: string[];
  try {
    path = p === "" ? [] : resolveName(p, { subdirs: true, hidden: true });
  } catch {
    return "malformed";
  }
  const expires = (e as number) * 1000;
  if (now >= expires) return "expired";
  return { path, rights: r, expires, creator: (u as string | undefined) ?? null };
}

/** Longest a link may live: a year. */
export const MAX_SHARE_MS = 366 * 86_400_000;

/**
 * Parses a link's lifetime: `90m`, `24h`, `7d`, `2w` (at most a year).
 *
 * @throws {RangeError} naming what is wrong
 */
export function parseShareDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(m|h|d|w)\s*$/.exec(text);
  if (!m) throw new RangeError(`not a duration: '${text}' (try 24h or 7d)`);
  const ms = Math.round(
    Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2]]!,
  );
  if (ms < 60_000 || ms > MAX_SHARE_MS) throw new RangeError(`'${text}': from 1m to 366d`);
  return ms;
}

/** Where links live in a server's URL space: a name the jail reserves, so no file can take it. */
export const SHARE_PREFIX = "/.netkit-share/";

/** The URL path of a link: the token, then, for a file, its name (for the download's name). */
export function sharePath(token: string, name: string | null): string {
  return `${SHARE_PREFIX}${token}/${name === null ? "" : encodeURIComponent(name)}`;
}
