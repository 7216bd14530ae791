/**
 * Helpers for tests with accounts: the real `htpasswd` (Debian's
 * apache2-utils), and waiting for a users file's reload event.
 *
 * @module
 */

import type { ReloadDetail, UserFile } from "../core/access/users.ts";

/** Runs `htpasswd ARGS`; null when apache2-utils is missing. */
export async function htpasswd(...args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command("htpasswd", { args, stdout: "piped", stderr: "piped" })
      .output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout).trim() + "\n"; // -n adds a blank line
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** The first reload event of `file` whose detail passes `want` (a writer may be seen mid-write). */
export function reloadWhere(
  file: UserFile,
  want: (d: ReloadDetail) => boolean,
): Promise<ReloadDetail> {
  return new Promise((resolve) => {
    const on: EventListener = (e) => {
      const d = (e as CustomEvent<ReloadDetail>).detail;
      if (!want(d)) return;
      file.removeEventListener("reload", on);
      resolve(d);
    };
    file.addEventListener("reload", on);
  });
}
