/**
 * The accounts of `--users FILE`: an htpasswd file read at start (refused
 * then, with its line number, if any entry is bad) and read again whenever
 * it changes, so an account added with `htpasswd -B` can sign in without a
 * restart. A change is seen through a file-system watch on the file itself
 * (not its folder, which may be busy: every event there would cost the
 * server), renewed whenever the file is replaced by another (an editor's
 * rename), and by a cheap `stat` once per `checkEveryMs`, for file systems
 * that send no events (and Deno 2.9 on Linux, whose new watch on a path
 * just replaced by a rename stays silent: the `stat` sees those changes). A file that turns bad
 * while running is reported and the accounts read last stay.
 *
 * @module
 */

import { HtpasswdError, parseHtpasswd } from "./htpasswd.ts";
import type { PasswordHash } from "./password_hash.ts";

/** Options of {@linkcode UserFile.open}. */
export interface UserFileOptions {
  /** Also re-check the file's metadata this often, ms. @default 1000 */
  checkEveryMs?: number;
  /** Watch the file for changes. @default true */
  watch?: boolean;
}

/** The event fired after each read while running: `detail` says how it went. */
export type ReloadDetail = { ok: true; users: number } | { ok: false; error: string };

/** Quiet time after the last change event before the file is read, ms. */
const SETTLE_MS = 50;

function stamp(info: Deno.FileInfo): string {
  return `${info.size} ${info.mtime?.getTime()} ${info.ino} ${info.dev}`;
}

/** The file identity part of a stamp. */
function inode(stamp: string): string {
  return stamp.split(" ").slice(2).join(" ");
}

async function readUsers(
  path: string,
): Promise<{ users: Map<string, PasswordHash>; stamp: string }> {
  using f = await Deno.open(path, { read: true });
  const info = await f.stat();
  if (!info.isFile) throw new Error(`${path}: not a file`);
  if (info.size > 16 << 20) throw new Error(`${path}: larger than 16 MiB`);
  const text = new TextDecoder("utf-8", { fatal: true }).decode(await readAll(f));
  return { users: parseHtpasswd(text), stamp: stamp(info) };
}

async function readAll(f: Deno.FsFile): Promise<Uint8Array> {
  return new Uint8Array(await new Response(f.readable).arrayBuffer());
}

/**
 * The accounts of an htpasswd file, kept current. Fires `"reload"`
 * (a `CustomEvent<ReloadDetail>`) after every read that follows a change.
 */
export class UserFile extends EventTarget {
  /** The file's path. */
  readonly path: string;
  #users: Map<string, PasswordHash>;
  #stamp: string;
  #generation = 0;
  #dummy: PasswordHash | null;
  #watcher: Deno.FsWatcher | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #reading: Promise<void> | null = null;
  #again = false;

  private constructor(path: string, users: Map<string, PasswordHash>, stamp: string) {
    super();
    this.path = path;
    this.#users = users;
    this.#stamp = stamp;
    this.#dummy = typical(users);
  }

  /**
   * Reads `path` and starts following its changes.
   *
   * @throws {Error} naming the file, and the line for a bad entry
   */
  static async open(path: string, options: UserFileOptions = {}): Promise<UserFile> {
    let read;
    try {
      read = await readUsers(path);
    } catch (e) {
      const why = e instanceof HtpasswdError ? e.message : (e as Error).message;
      throw new Error(`--users ${path}: ${why}`);
    }
    const file = new UserFile(path, read.users, read.stamp);
    file.#follow(options);
    return file;
  }

  /** Accounts now. */
  get size(): number {
    return this.#users.size;
  }

  /** Grows by one with each successful re-read: cached sign-ins of older generations are void. */
  get generation(): number {
    return this.#generation;
  }

  /** The hash of `user`, or null. */
  lookup(user: string): PasswordHash | null {
    return this.#users.get(user) ?? null;
  }

  /** True when the file names `user`. */
  has(user: string): boolean {
    return this.#users.has(user);
  }

  /**
   * A hash to check an unknown user's password against, so the answer takes
   * as long as for a real one (the scheme and cost most accounts use); null
   * when the file is empty.
   */
  get dummy(): PasswordHash | null {
    return this.#dummy;
  }

  #follow(o: UserFileOptions): void {
    const every = o.checkEveryMs ?? 1000;
    if (every > 0) {
      const timer = setInterval(() => this.check(), every);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
    if (o.watch ?? true) this.#watch();
  }

  /** Watches the file (the one at the path now); a replaced file gets a new watch on its reload. */
  #watch(): void {
    try {
      this.#watcher?.close();
    } catch { /* closed already */ }
    let watcher: Deno.FsWatcher;
    try {
      watcher = this.#watcher = Deno.watchFs(this.path, { recursive: false });
    } catch {
      this.#watcher = null; // no watch here: the timer still sees changes
      return;
    }
    (async () => {
      // A writer may truncate, then write: read once its events settle.
      let settle: ReturnType<typeof setTimeout> | undefined;
      for await (const _ of watcher) {
        clearTimeout(settle);
        settle = setTimeout(() => this.check(), SETTLE_MS);
      }
      clearTimeout(settle);
    })().catch(() => {});
  }

  /** Reads the file again if its metadata changed; resolves once done. */
  check(): Promise<void> {
    if (this.#reading) {
      this.#again = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      do {
        this.#again = false;
        await this.#reload();
      } while (this.#again);
    })().finally(() => this.#reading = null);
    return this.#reading;
  }

  async #reload(): Promise<void> {
    let now: string;
    try {
      now = stamp(Deno.statSync(this.path)); // one local syscall: cheaper than an async op
    } catch (e) {
      now = `gone: ${(e as Error).message}`;
    }
    if (now === this.#stamp) return;
    const replaced = inode(now) !== inode(this.#stamp);
    this.#stamp = now;
    let detail: ReloadDetail;
    try {
      const read = await readUsers(this.path);
      this.#stamp = read.stamp;
      this.#users = read.users;
      this.#dummy = typical(read.users);
      this.#generation++;
      if (replaced && this.#watcher) this.#watch(); // the old watch follows the old file
      detail = { ok: true, users: read.users.size };
    } catch (e) {
      detail = { ok: false, error: (e as Error).message };
    }
    this.dispatchEvent(new CustomEvent<ReloadDetail>("reload", { detail }));
  }

  /** Stops following the file. Safe twice. */
  close(): void {
    clearInterval(this.#timer);
    try {
      this.#watcher?.close();
    } catch { /* closed already */ }
    this.#watcher = null;
  }
}

/** The hash of the most common scheme and cost: what an unknown user is checked against. */
function typical(users: Map<string, PasswordHash>): PasswordHash | null {
  const count = new Map<string, { n: number; hash: PasswordHash }>();
  for (const h of users.values()) {
    const k = `${h.scheme} ${h.cost}`;
    const c = count.get(k) ?? { n: 0, hash: h };
    c.n++;
    count.set(k, c);
  }
  let best: { n: number; hash: PasswordHash } | null = null;
  for (const c of count.values()) if (!best || c.n > best.n) best = c;
  return best?.hash ?? null;
}
