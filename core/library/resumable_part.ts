/**
 * Taking a resumable upload's part file for writing: open it (or create
 * it), lock it so no other upload writes into it at once (also across
 * processes and hosts), make sure the name still leads to the file locked,
 * and claim it in its owner record. What earlier broken attempts wrote is
 * kept; a new upload drops the name's other idle part files.
 *
 * @module
 */

import { NetkitError } from "../errors.ts";
import { lockExclusive } from "./file_lock.ts";
import { PartOwner } from "./part_owner.ts";
import { fsError } from "./jail_fs.ts";
import { dropIdleParts, partNameOf } from "./part_files.ts";
import { tempName } from "./temp_files.ts";

/** A part file open for writing, locked and claimed by this upload. */
export interface ResumablePart {
  /** The open file; its lock is held until it is closed. */
  file: Deno.FsFile;
  path: string;
  /** Bytes kept from earlier attempts: where this one continues. */
  offset: number;
  /** This upload's claim, checked before the file is published or removed. */
  owner: PartOwner;
}

/** True when `path` still names the file `info` describes (same device and inode). */
async function sameFile(path: string, info: Deno.FileInfo): Promise<boolean> {
  try {
    const now = await Deno.stat(path);
    return now.ino === info.ino && now.dev === info.dev;
  } catch {
    return false;
  }
}

/**
 * Opens the part file of an upload of `size` bytes to the entry `name` of
 * `dir` (of the source version `version`, when known). A held lock is
 * waited for briefly (see `file_lock.ts`) before the upload is refused. A
 * part file longer than `size` starts over; when starting over, the name's
 * idle part files for another size or version are dropped.
 *
 * @throws {NetkitError} `BUSY` when another upload still holds it
 */
export async function openResumablePart(
  dir: string,
  name: string,
  size: number,
  version?: number,
): Promise<ResumablePart> {
  const path = `${dir}/${partNameOf(name, size, version)}`;
  // A part file can be dropped (evicted, cancelled) between our open and
  // our lock: then the name leads to another file, or none, and we retry.
  for (let attempt = 0;; attempt++) {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o644 });
    } catch (e) {
      throw fsError(e, name);
    }
    try {
      if (!(await lockExclusive(file))) {
        throw new NetkitError("BUSY", `${name}: another upload of this file is in progress`);
      }
      const info = await file.stat();
      if (!(await sameFile(path, info))) {
        if (attempt < 3) {
          file.close();
          continue;
        }
        throw new NetkitError("BUSY", `${name}: the upload's part file keeps changing`);
      }
      const owner = await PartOwner.claim(
        dir,
        path.slice(dir.length + 1),
        `${dir}/${tempName()}`,
      );
      let offset = info.size;
      if (offset > size) {
        await file.truncate(0);
        offset = 0;
      }
      // A new upload supersedes the name's other idle parts; the folder is
      // read only then, not for every slice of a continuing one.
      if (offset === 0) await dropIdleParts(dir, name, { keep: path });
      return { file, path, offset, owner };
    } catch (e) {
      file.close();
      throw fsError(e, name);
    }
  }
}
