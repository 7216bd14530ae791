/**
 * Reading an htpasswd file (`user:hash` a line, as Apache's `htpasswd`
 * writes it; blank lines and `#` comments skipped). Pure: text in, accounts
 * or the first refusal (with its line number) out.
 *
 * @module
 */

import { parsePasswordHash, type PasswordHash } from "./password_hash.ts";

/** A refused htpasswd file. */
export class HtpasswdError extends Error {
  /** The 1-based line at fault. */
  readonly line: number;

  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = "HtpasswdError";
    this.line = line;
  }
}

/** Longest user name accepted, in characters. */
export const MAX_USER_LENGTH = 255;

/**
 * Parses an htpasswd file.
 *
 * @returns the accounts by user name, in file order
 * @throws {HtpasswdError} for a malformed line, a duplicate user, or a hash
 *   that is refused (plain, DES, MD5, SHA-1)
 */
export function parseHtpasswd(text: string): Map<string, PasswordHash> {
  const users = new Map<string, PasswordHash>();
  const lines = new Map<string, number>();
  text.split("\n").forEach((raw, i) => {
    const n = i + 1;
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "" || line.startsWith("#")) return;
    const colon = line.indexOf(":");
    if (colon < 1) throw new HtpasswdError(n, "expected user:hash");
    const user = line.slice(0, colon);
    // deno-lint-ignore no-control-regex
    if (user.length > MAX_USER_LENGTH || /[\u0000-\u001f\u007f,\s]/.test(user)) {
      throw new HtpasswdError(n, `the user name '${user.slice(0, 40)}' is not allowed`);
    }
    const hashText = line.slice(colon + 1).split(":")[0];
    const hash = parsePasswordHash(hashText);
    if (typeof hash === "string") throw new HtpasswdError(n, `user '${user}': ${hash}`);
    if (lines.has(user)) {
      throw new HtpasswdError(n, `user '${user}' is already on line ${lines.get(user)}`);
    }
    lines.set(user, n);
    users.set(user, hash);
  });
  return users;
}
