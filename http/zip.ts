/**
 * A streaming zip writer: entries are written one after another (STORE, no
 * compression; CRC-32 computed while streaming and sent in a data
 * descriptor), then the central directory. ZIP64 records are used for any
 * file of 4 GiB or more, any offset past 4 GiB and more than 65,534 entries,
 * so archives of any size open with Info-ZIP `unzip`. Nothing is buffered
 * beyond one chunk; the record builders are pure and take sizes and offsets
 * as numbers (exact up to 2^53).
 *
 * Hand-written on purpose, after measuring the libraries (docs/BENCHMARKS.md,
 * "Folder archives"): `client-zip`, the streaming writer that fits, computes
 * CRC-32 in JavaScript, several times slower than `node:zlib`'s `crc32`
 * used here, and ends an archive of more than 65,535 members without the
 * ZIP64 end record, which `unzip -t` rejects; `fflate` writes no ZIP64;
 * `@zip.js/zip.js` was slower still and holds more memory.
 *
 * @module
 */

import { crc32 } from "node:zlib";
import { type ArchiveEntry, exactly } from "./archive_entry.ts";
import { safeArchiveName } from "./archive_name.ts";

const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
const FLAG_DESCRIPTOR = 1 << 3;
const FLAG_UTF8 = 1 << 11;
const encoder = new TextEncoder();

/** What the central directory records about one entry. */
export interface ZipRecord {
  /** Encoded name (folders end in `/`). */
  name: Uint8Array;
  /** CRC-32 of the content. */
  crc: number;
  /** Content size in bytes (stored: compressed = uncompressed). */
  size: number;
  /** Offset of the entry's local header. */
  offset: number;
  /** MS-DOS time and date words. */
  dos: [number, number];
  /** True for a folder. */
  dir: boolean;
  /** Unix permission bits. */
  mode: number;
}

/** MS-DOS time and date of a moment (UTC), clamped to 1980..2107. */
export function dosDateTime(ms: number): [number, number] {
  const d = new Date(Math.min(Math.max(ms, Date.UTC(1980, 0, 1)), Date.UTC(2107, 11, 31)));
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
  const date = ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  return [time, date];
}

/** True when a file of `size` bytes needs ZIP64 sizes. */
export function needsZip64(size: number): boolean {
  return size >= MAX32;
}

function u64(v: DataView, at: number, n: number): void {
  v.setBigUint64(at, BigInt(n), true);
}

/**
 * The local file header. Sizes and CRC follow in the data descriptor; a file
 * of 4 GiB or more gets a ZIP64 extra field, which tells readers that its
 * descriptor holds 8-byte sizes.
 */
export function localHeader(
  name: Uint8Array,
  dos: [number, number],
  dir: boolean,
  zip64: boolean,
): Uint8Array {
  const extra = zip64 ? 20 : 0;
  const b = new Uint8Array(30 + name.length + extra);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(4, zip64 ? 45 : 20, true);
  v.setUint16(6, FLAG_UTF8 | (dir ? 0 : FLAG_DESCRIPTOR), true);
  v.setUint16(8, 0, true); // STORE
  v.setUint16(10, dos[0], true);
  v.setUint16(12, dos[1], true);
  // CRC and sizes: 0 (in the descriptor), or 0xffffffff pointing at the ZIP64 field.
  if (zip64) {
    v.setUint32(18, MAX32, true);
    v.setUint32(22, MAX32, true);
  }
  v.setUint16(26, name.length, true);
  v.setUint16(28, extra, true);
  b.set(name, 30);
  if (zip64) {
    const at = 30 + name.length;
    v.setUint16(at, 0x0001, true);
    v.setUint16(at + 2, 16, true); // two zero sizes follow
  }
  return b;
}

/** The data descriptor after a file's bytes: 8-byte sizes when `zip64`. */
export function dataDescriptor(crc: number, size: number, zip64: boolean): Uint8Array {
  const b = new Uint8Array(zip64 ? 24 : 16);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x08074b50, true);
  v.setUint32(4, crc >>> 0, true);
  if (zip64) {
    u64(v, 8, size);
    u64(v, 16, size);
  } else {
    v.setUint32(8, size, true);
    v.setUint32(12, size, true);
  }
  return b;
}

/** One central directory header, with a ZIP64 extra field when a value needs it. */
export function centralHeader(r: ZipRecord): Uint8Array {
  const bigSize = r.size >= MAX32;
  const bigOffset = r.offset >= MAX32;
  const extra = (bigSize ? 16 : 0) + (bigOffset ? 8 : 0);
  const extraLen = extra > 0 ? 4 + extra : 0;
  const b = new Uint8Array(46 + r.name.length + extraLen);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x02014b50, true);
  v.setUint16(4, (3 << 8) | 45, true); // made by Unix, spec 4.5
  v.setUint16(6, extraLen > 0 || needsZip64(r.size) ? 45 : 20, true);
  v.setUint16(8, FLAG_UTF8 | (r.dir ? 0 : FLAG_DESCRIPTOR), true);
  v.setUint16(10, 0, true);
  v.setUint16(12, r.dos[0], true);
  v.setUint16(14, r.dos[1], true);
  v.setUint32(16, r.crc >>> 0, true);
  v.setUint32(20, bigSize ? MAX32 : r.size, true);
  v.setUint32(24, bigSize ? MAX32 : r.size, true);
  v.setUint16(28, r.name.length, true);
  v.setUint16(30, extraLen, true);
  // comment length, disk number, internal attributes: 0
  const type = r.dir ? 0o040000 : 0o100000;
  v.setUint32(38, ((type | (r.mode & 0o7777)) << 16 | (r.dir ? 0x10 : 0)) >>> 0, true);
  v.setUint32(42, bigOffset ? MAX32 : r.offset, true);
  b.set(r.name, 46);
  if (extraLen > 0) {
    let at = 46 + r.name.length;
    v.setUint16(at, 0x0001, true);
    v.setUint16(at + 2, extra, true);
    at += 4;
    if (bigSize) {
      u64(v, at, r.size);
      u64(v, at + 8, r.size);
      at += 16;
    }
    if (bigOffset) u64(v, at, r.offset);
  }
  return b;
}

/**
 * The end records: a ZIP64 end record and locator when the count, the
 * directory's size or its offset do not fit the classic fields, then the
 * classic end record (with 0xffff / 0xffffffff markers in that case).
 */
export function endRecords(count: number, cdSize: number, cdOffset: number): Uint8Array {
  const zip64 = count >= MAX16 || cdSize >= MAX32 || cdOffset >= MAX32;
  const b = new Uint8Array((zip64 ? 56 + 20 : 0) + 22);
  const v = new DataView(b.buffer);
  let at = 0;
  if (zip64) {
    v.setUint32(0, 0x06064b50, true);
    u64(v, 4, 44); // size of the rest of this record
    v.setUint16(12, (3 << 8) | 45, true);
    v.setUint16(14, 45, true);
    // disk numbers: 0
    u64(v, 24, count);
    u64(v, 32, count);
    u64(v, 40, cdSize);
    u64(v, 48, cdOffset);
    v.setUint32(56, 0x07064b50, true);
    u64(v, 64, cdOffset + cdSize); // where the ZIP64 end record starts
    v.setUint32(72, 1, true); // total disks
    at = 76;
  }
  v.setUint32(at, 0x06054b50, true);
  v.setUint16(at + 8, zip64 ? MAX16 : count, true);
  v.setUint16(at + 10, zip64 ? MAX16 : count, true);
  v.setUint32(at + 12, zip64 ? MAX32 : cdSize, true);
  v.setUint32(at + 16, zip64 ? MAX32 : cdOffset, true);
  return b;
}

/**
 * Writes `entries` as one zip archive, pulled chunk by chunk, each name made
 * safe by {@linkcode safeArchiveName}.
 */
export async function* zipChunks(
  entries: AsyncIterable<ArchiveEntry>,
): AsyncGenerator<Uint8Array> {
  const records: ZipRecord[] = [];
  let offset = 0;
  for await (const e of entries) {
    const safe = safeArchiveName(e.name);
    const name = encoder.encode(e.dir ? `${safe}/` : safe);
    const dos = dosDateTime(e.mtimeMs);
    const size = e.dir ? 0 : e.size;
    const zip64 = needsZip64(size);
    const header = localHeader(name, dos, e.dir, zip64);
    const start = offset;
    yield header;
    offset += header.length;
    let crc = 0;
    if (!e.dir) {
      for await (const chunk of exactly(await e.open(), size)) {
        crc = crc32(chunk, crc);
        offset += chunk.length;
        yield chunk;
      }
      const dd = dataDescriptor(crc, size, zip64);
      offset += dd.length;
      yield dd;
    }
    records.push({ name, crc, size, offset: start, dos, dir: e.dir, mode: e.mode });
  }
  const cdOffset = offset;
  for (const r of records) {
    const h = centralHeader(r);
    offset += h.length;
    yield h;
  }
  yield endRecords(records.length, offset - cdOffset, cdOffset);
}
