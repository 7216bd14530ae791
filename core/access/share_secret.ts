/**
 * The library's share secret, kept in its hidden netkit folder
 * (`.netkit-state/share.key`, hidden and refused by the jail like every
 * `.netkit-` name), so every instance serving the library, on this host or
 * another one sharing the folder, signs and checks links alike. The first
 * instance that needs it creates it by `link`, create-only: of two racing,
 * one wins and both read its secret. `--revoke-all` writes a new one and
 * renames it over the old (atomic for readers). Readers check the file's
 * identity on each use, so a rotation is seen at the next request.
 *
 * @module
 */

import { INTERNAL_PREFIX } from "../library/jail.ts";
import { versionKey } from "../file_version.ts";
import type { ShareSecret } from "./share_token.ts";

/** The library's hidden netkit folder, for state every instance shares. */
export const STATE_DIR = `${INTERNAL_PREFIX}state`;

const FILE = "share.key";
const HEADER = "netkit-share-secret 1";

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

function encode(s: ShareSecret): string {
  return `${HEADER} ${s.id} ${btoa(String.fromCharCode(...s.key))}\n`;
}

function decode(text: string, path: string): ShareSecret {
  const m = /^netkit-share-secret 1 ([A-Za-z0-9_-]{6,32}) ([A-Za-z0-9+/=]{40,})\n?$/.exec(text);
  if (!m) throw new Error(`${path}: not a netkit share secret`);
  return { id: m[1], key: Uint8Array.from(atob(m[2]), (c) => c.charCodeAt(0)) };
}

function fresh(): ShareSecret {
  return {
    id: Array.from(randomBytes(6), (b) => b.toString(16).padStart(2, "0")).join(""),
    key: randomBytes(32),
  };
}

/** The share secret of the library at `root`. */
export class ShareSecrets {
  readonly #dir: string;
  readonly #path: string;
  #known: { stamp: string; secret: ShareSecret } | null = null;

  /** @param root the library's canonical path */
  constructor(root: string) {
    this.#dir = `${root}/${STATE_DIR}`;
    this.#path = `${this.#dir}/${FILE}`;
  }

  /** The secret in force, created if there is none yet. */
  current(): ShareSecret {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(this.#path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      this.#create();
      info = Deno.statSync(this.#path);
    }
    // The file's whole version, never its inode alone (rounded above 2^53, file_version.ts).
    const stamp = versionKey(info);
    if (stamp !== null && this.#known?.stamp === stamp) return this.#known.secret;
    const secret = decode(Deno.readTextFileSync(this.#path), this.#path);
    this.#known = stamp === null ? null : { stamp, secret };
    return secret;
  }

  /** Writes a new secret over the old one: every link made before stops working. */
  rotate(): ShareSecret {
    const secret = fresh();
    const temp = this.#writeTemp(secret);
    Deno.renameSync(temp, this.#path);
    syncDir(this.#dir);
    this.#known = null;
    return secret;
  }

  #create(): void {
    const temp = this.#writeTemp(fresh());
    try {
      Deno.linkSync(temp, this.#path); // create-only: another instance may have won
      syncDir(this.#dir);
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    } finally {
      Deno.removeSync(temp);
    }
  }

  /** A flushed file holding `secret`, under a temp name in the state folder. */
  #writeTemp(secret: ShareSecret): string {
    try {
      Deno.mkdirSync(this.#dir, { mode: 0o700 });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const temp = `${this.#dir}/${INTERNAL_PREFIX}tmp.${Deno.pid}.${crypto.randomUUID()}`;
    const f = Deno.openSync(temp, { write: true, createNew: true, mode: 0o600 });
    try {
      const bytes = new TextEncoder().encode(encode(secret));
      for (let n = 0; n < bytes.length;) n += f.writeSync(bytes.subarray(n));
      f.syncSync();
    } finally {
      f.close();
    }
    return temp;
  }
}

function syncDir(dir: string): void {
  try {
    using d = Deno.openSync(dir, { read: true });
    d.syncSync();
  } catch { /* some file systems refuse to sync a folder; the rename is still atomic */ }
}
