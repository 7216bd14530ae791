/**
 * Host addresses as the services show and judge them: whether an address
 * stays on this machine, `host:port` written so an IPv6 address reads
 * unambiguously, and the key one host's connections are counted under.
 *
 * @module
 */

import { addressBytes } from "./net_range.ts";

const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * True for a host name or address only this machine can reach: `localhost`,
 * `127.x.y.z`, `::1` in any spelling (`0:0:0:0:0:0:0:1`) and IPv4-mapped
 * `::ffff:127.x.y.z`. Brackets (`[::1]`) are allowed. Strict on purpose, as
 * it decides whether secrets may cross in clear text: short or octal IPv4
 * forms (`127.1`), zones (`::1%lo`) and names other than `localhost` are
 * not loopback.
 *
 * @example
 * ```ts
 * import { isLoopback } from "./net.ts";
 * isLoopback("[::1]"); // true
 * isLoopback("0.0.0.0"); // false
 * ```
 */
export function isLoopback(host: string): boolean {
  const h = (/^\[(.*)\]$/.exec(host)?.[1] ?? host).toLowerCase();
  if (h === "localhost") return true;
  const v4 = IPV4_LOOPBACK.exec(h);
  if (v4) return v4.slice(1).every((octet) => Number(octet) <= 255);
  if (!h.includes(":") || !/^[0-9a-f:.]+$/.test(h)) return false;
  let canonical: string;
  try {
    canonical = new URL(`http://[${h}]/`).hostname; // the URL parser spells IPv6 one way
  } catch {
    return false;
  }
  return canonical === "[::1]" || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

/**
 * `hostname:port` for messages and logs, with an IPv6 address in brackets
 * (`[::1]:7070`) so its port stands apart. A hostname already in brackets
 * is kept as it is.
 */
export function formatHostPort(hostname: string, port: number): string {
  return hostname.includes(":") && !hostname.startsWith("[")
    ? `[${hostname}]:${port}`
    : `${hostname}:${port}`;
}

/**
 * What one host is counted under, for per-address limits and the sign-in
 * throttle: an IPv4 address as it is (also when it arrives IPv4-mapped,
 * `::ffff:192.0.2.1`), an IPv6 address by its /64 prefix, the smallest
 * block a host is given (a host would otherwise have 2^64 addresses to
 * spread its connections over).
 *
 * @example
 * ```ts
 * import { addressKey } from "./net.ts";
 * addressKey("2001:db8::1"); // "2001:db8:0:0::/64"
 * addressKey("::ffff:192.0.2.1"); // "192.0.2.1"
 * ```
 */
export function addressKey(hostname: string): string {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const a = addressBytes(h);
  if (a === null) return h;
  if (a.length === 4) return a.join(".");
  const groups = [0, 2, 4, 6].map((i) => ((a[i] << 8) | a[i + 1]).toString(16));
  return `${groups.join(":")}::/64`;
}
