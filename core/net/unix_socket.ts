/**
 * A unix socket's file, as a server that listens on one handles it: before
 * listening, the path must be free (nothing there, or a stale socket that
 * no server answers on any more, which is removed; anything else is left
 * alone and refused); once listening, the file gets its mode; at the end,
 * the file goes, unless another server has taken the path meanwhile.
 *
 * @module
 */

import { UsageError } from "../cli/cli_args.ts";

/** Parses a file mode in octal (`660`, `0660`), at most `0777`. */
export function parseMode(text: string, flag: string): number {
  if (!/^0?[0-7]{3}$/.test(text.trim())) {
    throw new UsageError(`${flag}: expected an octal mode such as 660, got '${text}'`);
  }
  return parseInt(text, 8);
}

/**
 * Makes `path` free for a new socket: removes a socket file no server
 * answers on.
 *
 * @throws {Error} when a server answers there, or `path` is not a socket
 */
export async function claimSocketPath(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  if (!info.isSocket) throw new Error(`${path} exists and is not a socket; not replacing it`);
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
  } catch (e) {
    if (!(e instanceof Deno.errors.ConnectionRefused)) throw e;
    await Deno.remove(path); // stale: left by a server that died
    return;
  }
  throw new Error(`another server answers on ${path}`);
}

/** The socket file a server listens on: set its mode now, remove it at the end. */
export class SocketFile {
  readonly #ino: number | null;

  private constructor(readonly path: string, ino: number | null) {
    this.#ino = ino;
  }

  /** Takes the socket file just bound at `path`, and gives it `mode` if one is set. */
  static async bound(path: string, mode: number | undefined): Promise<SocketFile> {
    if (mode !== undefined) await Deno.chmod(path, mode);
    return new SocketFile(path, (await Deno.lstat(path)).ino);
  }

  /** Removes the file, unless another socket has replaced it meanwhile. */
  async remove(): Promise<void> {
    try {
      const info = await Deno.lstat(this.path);
      if (info.isSocket && info.ino === this.#ino) await Deno.remove(this.path);
    } catch { /* gone already */ }
  }
}
