/**
 * A streaming tar writer (POSIX ustar, with pax extended headers for long or
 * non-ASCII names and for sizes of 8 GiB or more); gzip is applied by the
 * caller through `CompressionStream`. Header building is pure.
 *
 * @module
 */

import { type ArchiveEntry, exactly } from "./archive_entry.ts";
import { safeArchiveName } from "./archive_name.ts";

const BLOCK = 512;
const encoder = new TextEncoder();
/** Largest size the 11-digit octal field holds (8 GiB - 1). */
export const MAX_USTAR_SIZE = 8 ** 11 - 1;

function octal(b: Uint8Array, at: number, width: number, n: number): void {
  const s = n.toString(8).padStart(width - 1, "0");
  b.set(encoder.encode(s.slice(-(width - 1))), at);
}

function header(
  name: Uint8Array,
  prefix: Uint8Array,
  size: number,
  mode: number,
  mtimeSec: number,
  type: string,
): Uint8Array {
  const b = new Uint8Array(BLOCK);
  b.set(name, 0);
  octal(b, 100, 8, mode & 0o7777);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  octal(b, 124, 12, size);
  octal(b, 136, 12, Math.max(0, Math.min(mtimeSec, 8 ** 11 - 1)));
  b.fill(0x20, 148, 156); // checksum counts as spaces
  b[156] = type.charCodeAt(0);
  b.set(encoder.encode("ustar\x0000"), 257);
  b.set(prefix, 345);
  let sum = 0;
  for (const x of b) sum += x;
  const cs = encoder.encode(sum.toString(8).padStart(6, "0") + "\0 ");
  b.set(cs, 148);
  return b;
}

/** One pax record: `LEN key=value\n`, where LEN counts itself. */
export function paxRecord(key: string, value: string): Uint8Array {
  const body = encoder.encode(` ${key}=${value}\n`);
  let len = body.length + 1;
  while (String(len).length + body.length > len) len++;
  return encoder.encode(`${String(len)} ${key}=${value}\n`);
}

function padding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Splits a name into ustar `prefix` and `name`, or null when it does not fit. */
function splitName(full: Uint8Array): [Uint8Array, Uint8Array] | null {
  if (full.length <= 100) return [full, new Uint8Array(0)];
  for (let i = full.length - 1; i >= 0; i--) {
    if (full[i] !== 0x2f) continue;
    if (i <= 155 && full.length - i - 1 <= 100 && full.length - i - 1 > 0) {
      return [full.subarray(i + 1), full.subarray(0, i)];
    }
    if (i < full.length - 101) break;
  }
  return null;
}

/**
 * The ustar name for readers that ignore pax headers: the path cut to 100
 * bytes between characters and made safe again (a cut can end in `..`).
 */
function fallbackName(path: string): Uint8Array {
  let cut = "";
  let bytes = 0;
  for (const ch of path) {
    const n = encoder.encode(ch).length;
    if (bytes + n > 100) break;
    cut += ch;
    bytes += n;
  }
  return encoder.encode(safeArchiveName(cut));
}

/**
 * The header blocks for one entry, its name made safe by
 * {@linkcode safeArchiveName}: a pax header first when the name is long or
 * not ASCII, or the size does not fit ustar.
 */
export function entryHeader(
  e: Pick<ArchiveEntry, "name" | "dir" | "size" | "mtimeMs" | "mode">,
): Uint8Array[] {
  const safe = safeArchiveName(e.name);
  const path = e.dir ? `${safe}/` : safe;
  const full = encoder.encode(path);
  const size = e.dir ? 0 : e.size;
  const mtime = Math.floor(e.mtimeMs / 1000);
  const out: Uint8Array[] = [];
  const split = /^[\x20-\x7e]*$/.test(safe) ? splitName(full) : null;
  const bigSize = size > MAX_USTAR_SIZE;
  if (split === null || bigSize) {
    const recs: Uint8Array[] = [];
    if (split === null) recs.push(paxRecord("path", path));
    if (bigSize) recs.push(paxRecord("size", String(size)));
    const len = recs.reduce((a, r) => a + r.length, 0);
    out.push(header(encoder.encode("PaxHeader"), new Uint8Array(0), len, 0o644, mtime, "x"));
    out.push(...recs, padding(len));
  }
  const [name, prefix] = split ?? [fallbackName(path), new Uint8Array(0)];
  out.push(
    header(name, prefix, bigSize ? 0 : size, e.mode, mtime, e.dir ? "5" : "0"),
  );
  return out;
}

/** Writes `entries` as one tar stream (not yet compressed), chunk by chunk. */
export async function* tarChunks(
  entries: AsyncIterable<ArchiveEntry>,
): AsyncGenerator<Uint8Array> {
  for await (const e of entries) {
    yield* entryHeader(e);
    if (e.dir) continue;
    yield* exactly(await e.open(), e.size);
    const pad = padding(e.size);
    if (pad.length) yield pad;
  }
  yield new Uint8Array(BLOCK * 2);
}
