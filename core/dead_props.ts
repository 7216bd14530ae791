/**
 * WebDAV's dead properties, kept in the file system beside the library so
 * that every netkit instance sharing the folder sees the same ones. The
 * properties of an entry `name` of folder `dir` live in one small file,
 * `dir/.netkit-props/name` (the root's own in `.netkit-props/.netkit-self`);
 * the jail hides and refuses every `.netkit-` name, so no client can reach
 * them as a resource.
 *
 * Every change is made under an exclusive `flock` on the folder's
 * `.netkit-props/.netkit-mutex` (so two instances' read-modify-writes never
 * lose each other's update) and lands by `rename` of an fsync'ed temp file,
 * so a reader on any host sees the old set or the new one, never half.
 * The library keeps them with their entry: moved by `rename` with it, copied
 * with it, and set aside before the entry is removed, so a crash can lose the
 * properties of an entry in the middle of being removed or moved, but never
 * leaves them behind for a later entry of the same name.
 *
 * @module
 */

import { NetkitError } from "./errors.ts";
import { lockExclusive } from "./file_lock.ts";
import { INTERNAL_PREFIX } from "./jail.ts";
import { fsError } from "./jail_fs.ts";
import { tempName } from "./atomic_file.ts";

/** One dead property: its expanded name and its whole element, serialized self-contained. */
export interface DeadProp {
  /** Namespace URI ("" for none). */
  ns: string;
  /** Local name. */
  local: string;
  /** The property element as XML text that declares every namespace it uses. */
  xml: string;
}

/** The side folder of a folder's entries' properties. */
export const PROPS_DIR = `${INTERNAL_PREFIX}props`;
const SELF = `${INTERNAL_PREFIX}self`;
const MUTEX = `${INTERNAL_PREFIX}mutex`;

/** Largest property file accepted, in bytes (all of one entry's properties). */
export const MAX_PROPS_BYTES = 1 << 20;

/** How long a change waits for another instance's change of the same folder, ms. */
const LOCK_WAIT_MS = 5000;

/** The dead properties of the entries of canonical folders. */
export class DeadPropStore {
  /**
   * The properties of entry `name` of the canonical folder `dir` (null: `dir`
   * itself, used for the root only); none when there is no file.
   */
  async read(dir: string, name: string | null): Promise<DeadProp[]> {
    let text: string;
    try {
      text = await Deno.readTextFile(fileOf(dir, name));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return [];
      throw fsError(e, name ?? "/");
    }
    try {
      const props = JSON.parse(text);
      return Array.isArray(props) ? props.filter(isDeadProp) : [];
    } catch {
      return []; // unreadable: as if none (the next change replaces it whole)
    }
  }

  /** The names in `dir` that have properties: one `readDir` for a whole listing. */
  async names(dir: string): Promise<Set<string>> {
    const names = new Set<string>();
    try {
      for await (const e of Deno.readDir(`${dir}/${PROPS_DIR}`)) {
        if (e.isFile && !e.name.startsWith(INTERNAL_PREFIX)) names.add(e.name);
      }
    } catch { /* no side folder: no properties */ }
    return names;
  }

  /**
   * Runs `fn` holding the change lock of every folder in `dirs` (taken in
   * sorted order, so two instances locking the same two folders cannot
   * deadlock). A folder whose side folder does not exist yet is only locked
   * when `create` is set.
   *
   * @throws {NetkitError} `BUSY` when another instance holds a lock for long
   */
  async locked<T>(dirs: string[], create: boolean, fn: () => Promise<T>): Promise<T> {
    const files: Deno.FsFile[] = [];
    try {
      for (const dir of [...new Set(dirs)].sort()) {
        const side = `${dir}/${PROPS_DIR}`;
        if (create) {
          await Deno.mkdir(side).catch((e) => {
            if (!(e instanceof Deno.errors.AlreadyExists)) throw fsError(e, "properties");
          });
        }
        let f: Deno.FsFile;
        try {
          f = await Deno.open(`${side}/${MUTEX}`, { read: true, write: true, create: true });
        } catch (e) {
          if (!create && e instanceof Deno.errors.NotFound) continue;
          throw fsError(e, "properties");
        }
        files.push(f);
        if (!(await lockExclusive(f, LOCK_WAIT_MS))) {
          throw new NetkitError("BUSY", "the properties are being changed elsewhere; try again");
        }
      }
      return await fn();
    } finally {
      for (const f of files) f.close();
    }
  }

  /** Replaces the properties of an entry (none: its file goes); call under {@linkcode locked}. */
  async write(dir: string, name: string | null, props: readonly DeadProp[]): Promise<void> {
    const path = fileOf(dir, name);
    if (props.length === 0) {
      await Deno.remove(path).catch(() => {});
      return;
    }
    const bytes = new TextEncoder().encode(JSON.stringify(props));
    if (bytes.length > MAX_PROPS_BYTES) {
      throw new NetkitError("TOO_LARGE", `properties larger than ${MAX_PROPS_BYTES} bytes`);
    }
    const temp = `${dir}/${PROPS_DIR}/${tempName()}`;
    try {
      using f = await Deno.open(temp, { write: true, createNew: true, mode: 0o644 });
      await writeAll(f, bytes);
      await f.sync();
    } catch (e) {
      await Deno.remove(temp).catch(() => {});
      throw fsError(e, name ?? "/");
    }
    try {
      await Deno.rename(temp, path);
    } catch (e) {
      await Deno.remove(temp).catch(() => {});
      throw fsError(e, name ?? "/");
    }
  }

  /**
   * Moves the properties of `from` to `to` in step with the entry: set aside
   * first (so a failed move can restore them), then put in place.
   */
  async setAside(dir: string, name: string): Promise<string | null> {
    const aside = `${dir}/${PROPS_DIR}/${tempName()}`;
    try {
      await Deno.rename(fileOf(dir, name), aside);
      return aside;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
      throw fsError(e, name);
    }
  }

  /** Puts properties set aside under `name` of `dir` (replacing any there), or drops them. */
  async place(aside: string | null, dir: string, name: string | null): Promise<void> {
    if (aside === null) {
      await Deno.remove(fileOf(dir, name)).catch(() => {});
      return;
    }
    if (dir !== aside.slice(0, aside.lastIndexOf(`/${PROPS_DIR}/`))) {
      await Deno.mkdir(`${dir}/${PROPS_DIR}`).catch(() => {});
    }
    await Deno.rename(aside, fileOf(dir, name)).catch(() => {});
  }

  /** Removes properties set aside. */
  async discard(aside: string | null): Promise<void> {
    if (aside !== null) await Deno.remove(aside).catch(() => {});
  }

  /** True when `dir` has a side folder (so entries there may have properties). */
  async has(dir: string): Promise<boolean> {
    try {
      await Deno.lstat(`${dir}/${PROPS_DIR}`);
      return true;
    } catch {
      return false;
    }
  }

  /** Removes the side folder of `dir` when nothing but it keeps `dir` from being empty. */
  async clearIfOnlyEntry(dir: string): Promise<boolean> {
    for await (const e of Deno.readDir(dir)) if (e.name !== PROPS_DIR) return false;
    await Deno.remove(`${dir}/${PROPS_DIR}`, { recursive: true }).catch(() => {});
    return true;
  }
}

function fileOf(dir: string, name: string | null): string {
  return `${dir}/${PROPS_DIR}/${name ?? SELF}`;
}

async function writeAll(f: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await f.write(bytes.subarray(off));
}

function isDeadProp(p: unknown): p is DeadProp {
  const o = p as DeadProp;
  return typeof o === "object" && o !== null && typeof o.ns === "string" &&
    typeof o.local === "string" && typeof o.xml === "string";
}
