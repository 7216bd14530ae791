/**
 * Address ranges for rules by network (`10.0.0.0/8`, `2001:db8::/32`, one
 * address, or `any`), and the parser of addresses they share with
 * `net.ts`'s `addressKey`. Pure.
 *
 * @module
 */

/** A parsed range: the address's bytes (4 or 16) and the prefix length. */
export interface NetRange {
  /** As written, for messages. */
  readonly text: string;
  readonly bytes: Uint8Array | null;
  readonly prefix: number;
}

function parseV4(text: string): Uint8Array | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const b = m.slice(1).map(Number);
  return b.every((n) => n <= 255) ? Uint8Array.from(b) : null;
}

function parseV6(text: string): Uint8Array | null {
  const h = (/^\[(.*)\]$/.exec(text)?.[1] ?? text).toLowerCase();
  if (!h.includes(":") || !/^[0-9a-f:.]+$/.test(h)) return null;
  let spelled: string;
  try {
    spelled = new URL(`http://[${h}]/`).hostname.slice(1, -1); // one canonical spelling
  } catch {
    return null;
  }
  const [head, tail] = spelled.includes("::") ? spelled.split("::") : [spelled, null];
  const words = (s: string) => s === "" ? [] : s.split(":").map((w) => parseInt(w, 16));
  const a = words(head);
  const b = tail === null ? [] : words(tail);
  const all = [...a, ...new Array(8 - a.length - b.length).fill(0), ...b];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** The bytes of an IPv4 or IPv6 address (IPv4-mapped IPv6 as IPv4); null when not one. */
export function addressBytes(address: string): Uint8Array | null {
  const v4 = parseV4(address);
  if (v4) return v4;
  const v6 = parseV6(address);
  if (!v6) return null;
  const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

/**
 * Parses `ADDR`, `ADDR/PREFIX` or `any`.
 *
 * @throws {RangeError} naming what is wrong
 */
export function parseNetRange(text: string): NetRange {
  if (text === "any" || text === "*") return { text, bytes: null, prefix: 0 };
  const slash = text.lastIndexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const bytes = addressBytes(addr);
  if (!bytes) throw new RangeError(`not an IP address or range: '${text}'`);
  const max = bytes.length * 8;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) {
    throw new RangeError(`'${text}': the prefix length must be 0 to ${max}`);
  }
  return { text, bytes, prefix };
}

/** True when `address` lies in `range` (an IPv4 range never holds an IPv6 address). */
export function inRange(range: NetRange, address: string): boolean {
  if (range.bytes === null) return true;
  const a = addressBytes(address);
  if (!a || a.length !== range.bytes.length) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i] & mask) !== (range.bytes[i] & mask)) return false;
  }
  return true;
}
