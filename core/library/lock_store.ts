/**
 * WebDAV write locks, kept in the file system so that every netkit instance
 * sharing the folder honours the same ones: one small file per lock in the
 * root's `.netkit-locks/` folder (hidden and refused by the jail), written
 * by `rename` of an fsync'ed temp file. Granting, refreshing and releasing
 * happen under an exclusive `flock` on `.netkit-locks/mutex`, so two
 * instances can never grant conflicting locks; checking a write only reads.
 * A lock expires on its own: past its time it is ignored, and swept at the
 * next change. Time comes from the clock given, so tests can make it virtual.
 *
 * The store knows nothing of WebDAV's rules: which locks conflict is decided
 * by the caller's check, run under the mutex.
 *
 * @module
 */

import { NetkitError } from "../errors.ts";
import { lockExclusive } from "./file_lock.ts";
import { fsError } from "./jail_fs.ts";
import { INTERNAL_PREFIX } from "./jail.ts";

/** The lock folder's name in the root. */
export const LOCKS_DIR = `${INTERNAL_PREFIX}locks`;

/** One granted lock. */
export interface LockRecord {
  /** `urn:uuid:...` */
  token: string;
  /** The locked path: segments joined by `/`, "" for the root. */
  path: string;
  /** The resource alone (0) or with every member (`"infinity"`). */
  depth: 0 | "infinity";
  /** Exclusive, or shared with other shared locks. */
  scope: "exclusive" | "shared";
  /** The client's `owner` element as self-contained XML, or "". */
  owner: string;
  /** Who took it (the authenticated user), "" for nobody. */
  principal: string;
  /** The granted timeout in seconds. */
  timeoutSec: number;
  /** When it ends, in ms of the store's clock. */
  expiresMs: number;
}

/** What a new lock is made of (the store adds the token and the end). */
export type LockDraft = Omit<LockRecord, "token" | "expiresMs">;

const TOKEN = /^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const MUTEX_WAIT_MS = 5000;

/** The locks of one library. */
export class LockStore {
  readonly #dir: string;
  readonly #now: () => number;

  /**
   * @param dir the lock folder (created when the first lock is granted)
   * @param now the clock, ms @default Date.now
   */
  constructor(dir: string, now: () => number = Date.now) {
    this.#dir = dir;
    this.#now = now;
  }

  /** The current time of the store's clock, ms. */
  now(): number {
    return this.#now();
  }

  /** Every lock not yet expired. One `readDir` when there is none. */
  async list(): Promise<LockRecord[]> {
    const names: string[] = [];
    try {
      for await (const e of Deno.readDir(this.#dir)) {
        if (e.isFile && e.name.startsWith("lock.")) names.push(e.name);
      }
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw fsError(e, "locks");
    }
    const now = this.#now();
    const locks = await Promise.all(names.map((n) => this.#read(n)));
    return locks.filter((l): l is LockRecord => l !== null && l.expiresMs > now);
  }

  /**
   * Grants a new lock unless `check` (given every live lock, under the
   * mutex) throws.
   */
  async create(draft: LockDraft, check: (live: LockRecord[]) => void): Promise<LockRecord> {
    return await this.#locked(async (live) => {
      check(live);
      const lock: LockRecord = {
        ...draft,
        token: `urn:uuid:${crypto.randomUUID()}`,
        expiresMs: this.#now() + draft.timeoutSec * 1000,
      };
      await this.#write(lock);
      return lock;
    });
  }

  /**
   * Gives the lock `token` a new timeout from now, after `check` approves it.
   *
   * @throws {NetkitError} `NOT_FOUND` when no such live lock exists
   */
  async refresh(
    token: string,
    timeoutSec: number,
    check: (lock: LockRecord) => void,
  ): Promise<LockRecord> {
    return await this.#locked(async (live) => {
      const lock = live.find((l) => l.token === token);
      if (lock === undefined) throw new NetkitError("NOT_FOUND", "no such lock");
      check(lock);
      const next = { ...lock, timeoutSec, expiresMs: this.#now() + timeoutSec * 1000 };
      await this.#write(next);
      return next;
    });
  }

  /** Releases every live lock that `select` picks; returns them. */
  async remove(select: (lock: LockRecord) => boolean): Promise<LockRecord[]> {
    if ((await this.list()).length === 0) return [];
    return await this.#locked(async (live) => {
      const gone = live.filter(select);
      for (const l of gone) await Deno.remove(this.#fileOf(l.token)).catch(() => {});
      return gone;
    });
  }

  /** Runs `fn` under the mutex with the live locks, sweeping expired ones first. */
  async #locked<T>(fn: (live: LockRecord[]) => Promise<T>): Promise<T> {
    try {
      await Deno.mkdir(this.#dir, { mode: 0o755 });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw fsError(e, "locks");
    }
    let f: Deno.FsFile;
    try {
      f = await Deno.open(`${this.#dir}/mutex`, { read: true, write: true, create: true });
    } catch (e) {
      throw fsError(e, "locks");
    }
    try {
      if (!(await lockExclusive(f, MUTEX_WAIT_MS))) {
        throw new NetkitError("BUSY", "the locks are being changed elsewhere; try again");
      }
      await this.#sweep();
      return await fn(await this.list());
    } finally {
      f.close();
    }
  }

  /** Removes expired locks and stale temp files (under the mutex). */
  async #sweep(): Promise<void> {
    const now = this.#now();
    for await (const e of Deno.readDir(this.#dir)) {
      if (e.name.startsWith("lock.")) {
        const l = await this.#read(e.name);
        if (l === null || l.expiresMs <= now) {
          await Deno.remove(`${this.#dir}/${e.name}`).catch(() => {});
        }
      } else if (e.name.startsWith("tmp.")) {
        await Deno.remove(`${this.#dir}/${e.name}`).catch(() => {});
      }
    }
  }

  async #read(name: string): Promise<LockRecord | null> {
    try {
      const l = JSON.parse(await Deno.readTextFile(`${this.#dir}/${name}`)) as LockRecord;
      return typeof l.token === "string" && typeof l.path === "string" &&
          typeof l.expiresMs === "number" && `lock.${uuidOf(l.token)}` === name
        ? l
        : null;
    } catch {
      return null; // gone meanwhile, or unreadable
    }
  }

  async #write(lock: LockRecord): Promise<void> {
    const temp = `${this.#dir}/tmp.${crypto.randomUUID()}`;
    try {
      {
        using f = await Deno.open(temp, { write: true, createNew: true, mode: 0o644 });
        const bytes = new TextEncoder().encode(JSON.stringify(lock));
        let off = 0;
        while (off < bytes.length) off += await f.write(bytes.subarray(off));
        await f.sync();
      }
      await Deno.rename(temp, this.#fileOf(lock.token));
    } catch (e) {
      await Deno.remove(temp).catch(() => {});
      throw fsError(e, "locks");
    }
  }

  #fileOf(token: string): string {
    return `${this.#dir}/lock.${uuidOf(token)}`;
  }
}

/** The UUID of a well-formed token, or null. */
function uuidOf(token: string): string | null {
  return TOKEN.exec(token)?.[1] ?? null;
}

/** True when `token` is a token this store could have made. */
export function isLockToken(token: string): boolean {
  return uuidOf(token) !== null;
}
