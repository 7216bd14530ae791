/**
 * The local side of a download: a part file beside the destination
 * (`.NAME.netkit-part`), locked while in use, kept after a broken transfer so
 * `--resume` can continue it, and moved to the final name only once the
 * download is verified. Beside it, `.NAME.netkit-part.source` holds the size
 * and modification time of the remote file its bytes came from, so a resume
 * after the file changed on the server starts over instead of mixing two
 * versions.
 *
 * @module
 */

import { NetkitError } from "../core/errors.ts";
import { lockExclusive } from "../core/library/file_lock.ts";
import { entryExists } from "../core/library/jail_fs.ts";
import { checkWritable, readLocalText } from "../core/cli/local_file.ts";
import type { SourceVersion } from "../protocol/file/messages.ts";

/** An open part file. */
export interface PartFile {
  /** The open file, positioned at `offset` once its prefix has been hashed. */
  file: Deno.FsFile;
  /** Its path. */
  path: string;
  /**
   * Bytes already present (non-zero only when resuming a part file whose
   * source version is known).
   */
  offset: number;
  /** The version of the remote file the bytes came from, when resuming. */
  source: SourceVersion | null;
  /**
   * Empties the file to start over, and records the version its bytes will
   * come from (for files of {@linkcode RECORD_MIN_BYTES} and more).
   */
  begin(source: SourceVersion): Promise<void>;
  /** Closes it (and so releases its lock); safe to call twice. */
  close(): void;
  /** Closes it; removes it unless `keep` and it holds some bytes. */
  discard(keep: boolean): Promise<void>;
}

/**
 * Downloads at least this large record where their bytes came from, so a
 * broken one can be resumed; a smaller one starts over (resuming it would
 * save less than the record costs every download).
 */
export const RECORD_MIN_BYTES = 1 << 20;

/** Where the part file of `dest` lives. */
export function partPathFor(dest: string): string {
  const cut = Math.max(dest.lastIndexOf("/"), dest.lastIndexOf("\\"));
  const dir = cut >= 0 ? dest.slice(0, cut + 1) : "";
  return `${dir}.${dest.slice(cut + 1)}.netkit-part`;
}

/**
 * Where the version of the remote file a part file's bytes came from is
 * kept (a small JSON file beside it), so a resume can tell a stale part.
 */
export function sourcePathFor(partPath: string): string {
  return `${partPath}.source`;
}

async function readSource(path: string): Promise<SourceVersion | null> {
  try {
    const v = JSON.parse(await readLocalText(path));
    return Number.isSafeInteger(v?.size) && Number.isSafeInteger(v?.mtimeMs)
      ? { size: v.size, mtimeMs: v.mtimeMs }
      : null;
  } catch {
    return null;
  }
}

/**
 * Opens (or, with `resume`, reopens) the part file for `dest`.
 *
 * @throws {NetkitError} `EXISTS` when `dest` exists and `overwrite` is off;
 *   `BUSY` when another download holds the part file
 */
export async function openPart(
  dest: string,
  options: { resume?: boolean; overwrite?: boolean },
): Promise<PartFile> {
  if (!options.overwrite && await entryExists(dest)) {
    throw new NetkitError("EXISTS", `${dest} exists already (use --overwrite to replace it)`);
  }
  // Never replace a folder or a device, nor open a FIFO (that would block).
  await checkWritable(dest);
  const path = partPathFor(dest);
  await checkWritable(path);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true, create: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new NetkitError("NOT_FOUND", `${dest}: the folder does not exist`);
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new NetkitError("FORBIDDEN", `${dest}: permission denied`);
    }
    throw e;
  }
  if (!(await lockExclusive(file))) {
    file.close();
    throw new NetkitError("BUSY", `another download to ${dest} is in progress`);
  }
  const sourcePath = sourcePathFor(path);
  let offset = (await file.stat()).size;
  // Without the version its bytes came from, a part file cannot be trusted.
  const source = options.resume && offset > 0 ? await readSource(sourcePath) : null;
  if (source === null && offset > 0) {
    // Only a leftover needs it: on ext4, truncating a file to zero marks it
    // for a flush of all its data at close (auto_da_alloc).
    await file.truncate(0);
    offset = 0;
  }
  let open = true;
  const close = () => {
    if (open) file.close();
    open = false;
  };
  const part: PartFile = {
    file,
    path,
    offset,
    source,
    async begin(v: SourceVersion) {
      if (part.offset > 0) await file.truncate(0);
      await file.seek(0, Deno.SeekMode.Start);
      part.offset = 0;
      if (v.size >= RECORD_MIN_BYTES) {
        await Deno.writeTextFile(sourcePath, JSON.stringify(v));
      } else if (part.source !== null) {
        await Deno.remove(sourcePath).catch(() => {});
      }
      part.source = v;
    },
    close,
    async discard(keep: boolean) {
      if (!open) return;
      const size = (await file.stat()).size;
      close();
      if (!keep || size === 0) {
        await Deno.remove(path).catch(() => {});
        await Deno.remove(sourcePath).catch(() => {});
      }
    },
  };
  return part;
}

/**
 * Gives the part file the final name: `rename` when overwriting, otherwise
 * `link` so an existing file is never replaced. With `sync` the bytes are
 * flushed to disk first (a power cut then cannot leave an empty file under
 * the final name); like curl and wget, downloads skip that by default, as it
 * costs a noticeable share of a large download's time.
 */
export async function finishPart(
  part: PartFile,
  dest: string,
  overwrite: boolean,
  sync = false,
): Promise<void> {
  if (sync) await part.file.sync();
  // Held open (and locked) through the rename, except on Windows, which cannot rename an open file.
  if (Deno.build.os === "windows") part.close();
  if (overwrite) {
    await Deno.rename(part.path, dest);
  } else {
    try {
      await Deno.link(part.path, dest);
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) {
        throw new NetkitError("EXISTS", `${dest} appeared during the download; kept the new copy`);
      }
      throw e;
    }
    await Deno.remove(part.path);
  }
  part.close();
  await Deno.remove(sourcePathFor(part.path)).catch(() => {});
}
