/**
 * Names for what is in flight (a temp file, a folder being copied, a tree
 * being removed), and the sweep that removes what no live writer owns any
 * more. A temp name is hidden and refused by the jail, and names its host
 * and process, so a dead writer's leftovers can be told from a live one's,
 * even among hosts sharing the folder.
 *
 * @module
 */

import { INTERNAL_PREFIX } from "./jail.ts";
import { OWNER_PREFIX } from "./part_owner.ts";
import { PARTIAL_PREFIX } from "./part_files.ts";

/** Prefix of in-flight upload files; `jail.ts` hides and refuses these names. */
export const TEMP_PREFIX = `${INTERNAL_PREFIX}tmp.`;

/** Default age after which an untouched temp file is surely abandoned (15 minutes). */
export const DEFAULT_STALE_AFTER_MS = 15 * 60_000;

/** Default age after which an untouched resumable part file is given up (24 hours). */
export const DEFAULT_PARTIAL_TTL_MS = 24 * 3_600_000;

function hostTag(): string {
  try {
    return Deno.hostname().replaceAll(/[^A-Za-z0-9-]/g, "_");
  } catch {
    return "host";
  }
}

const HOST = hostTag();

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A fresh name for something in flight (a temp file, a folder being copied,
 * a tree being removed): hidden and refused by the jail, and naming this host
 * and process, so {@linkcode cleanStaleTemps} can tell a dead writer's leftovers.
 */
export function tempName(): string {
  return `${TEMP_PREFIX}${HOST}.${Deno.pid}.${randomHex(8)}`;
}

/**
 * False only when process `pid` of this host is surely gone. Unknown counts
 * as alive, leaving the file to the age rule: off Linux, and where `/proc`
 * cannot be read (Deno asks for every permission to stat `/proc/<pid>`,
 * which netkit's binary does not have).
 */
function pidAlive(pid: number): boolean {
  if (Deno.build.os !== "linux") return true;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (e) {
    return !(e instanceof Deno.errors.NotFound);
  }
}

async function removeIfOlder(path: string, cutoff: number): Promise<number> {
  try {
    if (((await Deno.lstat(path)).mtime?.getTime() ?? cutoff) < cutoff) {
      await Deno.remove(path);
      return 1;
    }
  } catch { /* raced with its owner or another cleaner */ }
  return 0;
}

/**
 * Removes temp files and folders that no live writer owns: those of a dead
 * process on this host, and any left untouched for `staleAfterMs` (writers
 * on other hosts sharing the folder keep theirs fresh by writing), and
 * resumable part files (and their owner records) untouched for `partialTtlMs`.
 *
 * @returns how many files were removed
 */
export async function cleanStaleTemps(
  dir: string,
  staleAfterMs = DEFAULT_STALE_AFTER_MS,
  partialTtlMs = DEFAULT_PARTIAL_TTL_MS,
): Promise<number> {
  let removed = 0;
  const now = Date.now();
  for await (const entry of Deno.readDir(dir)) {
    if (
      entry.isFile && (entry.name.startsWith(PARTIAL_PREFIX) || entry.name.startsWith(OWNER_PREFIX))
    ) {
      removed += await removeIfOlder(`${dir}/${entry.name}`, now - partialTtlMs);
      continue;
    }
    if (!(entry.isFile || entry.isDirectory) || !entry.name.startsWith(TEMP_PREFIX)) continue;
    const [host, pidText] = entry.name.slice(TEMP_PREFIX.length).split(".");
    const pid = Number(pidText);
    const ours = host === HOST && pid === Deno.pid;
    const path = `${dir}/${entry.name}`;
    try {
      const deadHere = host === HOST && !ours && Number.isInteger(pid) && !pidAlive(pid);
      const mtime = (await Deno.lstat(path)).mtime?.getTime() ?? now;
      // A folder (a copy being built, a tree being removed) shows no writes
      // deep inside on its own mtime: only another process's is aged out.
      const old = now - mtime > staleAfterMs && (entry.isFile || !ours);
      if (deadHere || old) {
        await Deno.remove(path, { recursive: entry.isDirectory });
        removed++;
      }
    } catch { /* raced with its owner or another cleaner */ }
  }
  return removed;
}
