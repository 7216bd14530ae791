/**
 * How GlusterFS shows one host's changes on another, measured on the
 * mounts themselves (no netkit in between): how long an overwrite (by
 * rename), a delete and a create stay unseen, and how often a read racing
 * a rename fails (ESTALE, ENOENT) and whether one retry finds the file.
 *
 * @module
 */

import { isStaleHandle } from "../../core/library/stale_handle.ts";
import { fmt, median, table } from "./stats.ts";

/** Time until another mount sees each kind of change, ms, and stale answers seen meanwhile. */
export interface Staleness {
  overwrite: number[];
  remove: number[];
  create: number[];
  /** Reads that answered with the old state (or an error) before the new one. */
  staleReads: number;
}

/** Polls `fresh` (bounded: 3 s) until it says true; returns how long that took and the misses. */
function settle(fresh: () => boolean): { ms: number; misses: number } {
  const t = performance.now();
  let misses = 0;
  while (performance.now() - t < 3000) {
    try {
      if (fresh()) break;
    } catch { /* a failed read counts as stale */ }
    misses++;
  }
  return { ms: performance.now() - t, misses };
}

const missing = (path: string) => {
  try {
    Deno.lstatSync(path);
    return false;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return true;
    throw e;
  }
};

/**
 * `rounds` of: an overwrite (temp file renamed over), a delete and a create
 * in `writer` (a folder on one host's mount), each watched in `reader` (the
 * same folder on another host's mount) until seen.
 */
export function staleness(writer: string, reader: string, rounds: number): Staleness {
  const out: Staleness = { overwrite: [], remove: [], create: [], staleReads: 0 };
  Deno.mkdirSync(writer, { recursive: true });
  Deno.writeTextFileSync(`${writer}/f`, "v0");
  for (let r = 0; r < rounds; r++) {
    Deno.readTextFileSync(`${reader}/f`); // the reader has it cached
    const v = `v${r + 1}`;
    Deno.writeTextFileSync(`${writer}/t`, v);
    Deno.renameSync(`${writer}/t`, `${writer}/f`);
    let s = settle(() => Deno.readTextFileSync(`${reader}/f`) === v);
    out.overwrite.push(s.ms);
    out.staleReads += s.misses;
    Deno.writeTextFileSync(`${writer}/d`, "x");
    Deno.readTextFileSync(`${reader}/d`);
    Deno.removeSync(`${writer}/d`);
    s = settle(() => missing(`${reader}/d`));
    out.remove.push(s.ms);
    out.staleReads += s.misses;
    missing(`${reader}/c${r}`); // looked up, and not there
    Deno.writeTextFileSync(`${writer}/c${r}`, "c");
    s = settle(() => !missing(`${reader}/c${r}`));
    out.create.push(s.ms);
    out.staleReads += s.misses;
  }
  return out;
}

/** What reads racing renames saw. */
export interface RaceCounts {
  reads: number;
  estale: number;
  enoent: number;
  /** Of those, how many one immediate retry did not serve. */
  retryFailed: number;
}

/**
 * `renames` overwrites of one file in `writer`, 5 ms apart, while `reader`
 * reads it as a GET does and looks it up as a link is, in a loop, retrying
 * a failed read once.
 */
export async function raceWithRenames(
  writer: string,
  reader: string,
  renames: number,
): Promise<RaceCounts> {
  Deno.mkdirSync(writer, { recursive: true });
  Deno.writeTextFileSync(`${writer}/r`, "v");
  const out: RaceCounts = { reads: 0, estale: 0, enoent: 0, retryFailed: 0 };
  let done = false;
  const writing = (async () => {
    for (let i = 0; i < renames; i++) {
      Deno.writeTextFileSync(`${writer}/rt`, `v${i}`);
      Deno.renameSync(`${writer}/rt`, `${writer}/r`);
      await new Promise((r) => setTimeout(r, 5));
    }
  })().finally(() => done = true);
  const path = `${reader}/r`;
  const buf = new Uint8Array(64);
  // What a GET does (lstat, open, fstat, read), and what a lookup through a link does.
  const reads = [() => {
    Deno.lstatSync(path);
    using f = Deno.openSync(path, { read: true });
    f.statSync();
    f.readSync(buf);
  }, () => Deno.statSync(Deno.realPathSync(path))];
  while (!done) {
    for (const read of reads) {
      out.reads++;
      try {
        read();
      } catch (e) {
        if (isStaleHandle(e)) out.estale++;
        else if (e instanceof Deno.errors.NotFound) out.enoent++;
        else throw e;
        try {
          read();
        } catch {
          out.retryFailed++;
        }
      }
    }
    await new Promise((r) => setTimeout(r, 0));
  }
  await writing;
  return out;
}

/** A table of {@linkcode staleness} results per pair of mounts. */
export function stalenessTable(rows: Array<[string, Staleness]>): string {
  const cell = (xs: number[]) => `${fmt(median(xs), 1)} / ${fmt(Math.max(...xs), 1)}`;
  return table(
    ["reader's mount", "overwrite: median / max ms", "delete", "create", "stale reads"],
    rows.map(([name, s]) => [
      name,
      cell(s.overwrite),
      cell(s.remove),
      cell(s.create),
      `${s.staleReads}`,
    ]),
  );
}
