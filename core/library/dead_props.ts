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
 * The store keeps them with their entry as the library changes it: moved by
 * `rename` with it, copied with it, and set aside before the entry is
 * removed, so a crash can lose the properties of an entry in the middle of
 * being removed or moved, but never leaves them behind for a later entry of
 * the same name.
 *
 * @module
 */

import { NetkitError } from "../errors.ts";
import { lockExclusive } from "./file_lock.ts";
import { INTERNAL_PREFIX } from "./jail.ts";
import { fsError } from "./jail_fs.ts";
import { tempName } from "./temp_files.ts";

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

/** The entry whose properties are kept: its canonical folder and name. */
export interface PropsOwner {
  dir: string;
  name: string;
}

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
  async #names(dir: string): Promise<Set<string>> {
    const names = new Set<string>();
    try {
      for await (const e of Deno.readDir(`${dir}/${PROPS_DIR}`)) {
        if (e.isFile && !e.name.startsWith(INTERNAL_PREFIX)) names.add(e.name);
      }
    } catch { /* no side folder: no properties */ }
    return names;
  }

  /**
   * A reader of the properties of `dir`'s entries, for listings: one
   * `readDir` up front, then a file read only for entries that have any.
   */
  async readerOf(dir: string): Promise<(name: string) => Promise<DeadProp[]>> {
    const names = await this.#names(dir);
    return (name) => names.has(name) ? this.read(dir, name) : Promise.resolve([]);
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
   * Replaces the properties of an entry (null: `dir` itself) by what
   * `change` makes of them, under the change lock; `check` runs first under
   * the lock (to make sure the entry is still there).
   */
  async patch(
    dir: string,
    name: string | null,
    change: (props: DeadProp[]) => DeadProp[],
    check: () => Promise<unknown>,
  ): Promise<void> {
    await this.locked([dir], true, async () => {
      await check();
      await this.write(dir, name, change(await this.read(dir, name)));
    });
  }

  /**
   * Runs `remove`, which removes `entry`, with the entry's properties set
   * aside first: dropped when it succeeds, put back when it fails. A folder
   * that never had properties costs one `lstat`.
   */
  async removing(entry: PropsOwner, remove: () => Promise<void>): Promise<void> {
    if (!(await this.#any([entry.dir]))) return await remove();
    await this.locked([entry.dir], false, async () => {
      const aside = await this.#setAside(entry.dir, entry.name);
      try {
        await remove();
      } catch (e) {
        await this.#place(aside, entry.dir, entry.name);
        throw e;
      }
      await this.#discard(aside);
    });
  }

  /**
   * Runs `move`, which moves entry `from` to `to`, and moves the entry's
   * properties with it; those of an entry it replaces vanish. When `move`
   * fails, both sets are put back.
   */
  async moving<T>(from: PropsOwner, to: PropsOwner, move: () => Promise<T>): Promise<T> {
    if (!(await this.#any([from.dir, to.dir]))) return await move();
    return await this.locked([from.dir, to.dir], false, async () => {
      const carried = await this.#setAside(from.dir, from.name);
      const replaced = await this.#setAside(to.dir, to.name);
      let result: T;
      try {
        result = await move();
      } catch (e) {
        await this.#place(carried, from.dir, from.name);
        await this.#place(replaced, to.dir, to.name);
        throw e;
      }
      await this.#place(carried, to.dir, to.name);
      await this.#discard(replaced);
      return result;
    });
  }

  /** Gives entry `to`, just copied from `from`, the properties of `from`. */
  async copy(from: PropsOwner, to: PropsOwner): Promise<void> {
    if (!(await this.#any([from.dir, to.dir]))) return;
    await this.locked([to.dir], true, async () => {
      await this.write(to.dir, to.name, await this.read(from.dir, from.name));
    });
  }

  /** Renames the properties of an entry to a temp name (null: it has none). */
  async #setAside(dir: string, name: string): Promise<string | null> {
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
  async #place(aside: string | null, dir: string, name: string | null): Promise<void> {
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
  async #discard(aside: string | null): Promise<void> {
    if (aside !== null) await Deno.remove(aside).catch(() => {});
  }

  /** True when any of `dirs` has a side folder (so entries there may have properties). */
  async #any(dirs: string[]): Promise<boolean> {
    const has = (dir: string) => Deno.lstat(`${dir}/${PROPS_DIR}`).then(() => true, () => false);
    return (await Promise.all(dirs.map(has))).some(Boolean);
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
