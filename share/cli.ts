/**
 * `netkit share`: makes a link that lets someone without an account read
 * one file or folder of a library (or upload into a folder) until it
 * expires, or revokes every link at once. The link is a token signed with
 * the library's share secret (`core/access/share_secret.ts`), honoured by every
 * `netkit http` serving that library.
 *
 * @module
 */

import { parseFlags, UsageError } from "../core/cli/cli_args.ts";
import { isNetkitError } from "../core/errors.ts";
import { formatTime } from "../core/text/format.ts";
import { Library } from "../core/library/library.ts";
import { ShareSecrets } from "../core/access/share_secret.ts";
import { parseShareDuration, sharePath, signShare } from "../core/access/share_token.ts";

/** One line for `netkit --help`. */
export const SUMMARY = "make an expiring link to a file or folder served by 'netkit http'";

/** The full `netkit share --help` text. */
export const USAGE = `Usage:
  netkit share --root DIR PATH [--expires 24h] [--upload] [--base-url URL]
  netkit share --root DIR --revoke-all

Prints a URL that lets anyone holding it read PATH (a file, or a folder with
everything in it) until it expires, without an account; with --upload, lets
them upload into the folder PATH instead (but not see what is in it). The
link is signed with a secret kept in DIR/.netkit-state/, so every netkit
http serving DIR honours it; --revoke-all replaces the secret, and every
link made before stops working.

Options:
  --root DIR        the library folder the server serves (required)
  --expires TIME    how long the link works: 90m, 24h, 7d, 2w (default 24h,
                    at most 366d)
  --upload          an upload link into a folder
  --base-url URL    the server's address as people reach it
                    (default http://127.0.0.1:8000)
  --revoke-all      make every link made so far stop working
  -h, --help        show this help

Example:
  netkit share --root /srv/files reports/2024.pdf --expires 7d \\
    --base-url https://files.example.org`;

/** Runs `netkit share`. */
export async function main(args: string[]): Promise<number> {
  const { values: v, positionals } = parseFlags(args, {
    root: { type: "string" },
    expires: { type: "string" },
    upload: { type: "boolean" },
    "base-url": { type: "string" },
    "revoke-all": { type: "boolean" },
  }, "share");
  if (!v.root) throw new UsageError("--root DIR is required", "share");
  const library = await Library.open(v.root).catch((e) => {
    throw new UsageError(`--root: ${(e as Error).message}`, "share");
  });
  const secrets = new ShareSecrets(library.root);
  if (v["revoke-all"]) {
    if (positionals.length > 0 || v.upload || v.expires) {
      throw new UsageError("--revoke-all takes no PATH and no other option", "share");
    }
    secrets.rotate();
    console.error("netkit share: every link made before is revoked");
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("expected one PATH", "share");
  let expiresMs: number;
  try {
    expiresMs = parseShareDuration(v.expires ?? "24h");
  } catch (e) {
    throw new UsageError(`--expires: ${(e as Error).message}`, "share");
  }
  let base: URL;
  try {
    base = new URL(v["base-url"] ?? "http://127.0.0.1:8000");
    if (base.protocol !== "http:" && base.protocol !== "https:") throw new Error();
  } catch {
    throw new UsageError(`--base-url: not an http(s) URL: '${v["base-url"]}'`, "share");
  }
  const segments = positionals[0].split("/").filter((s) => s !== "");
  let found;
  try {
    found = library.find(segments);
  } catch (e) {
    const why = isNetkitError(e, "NOT_FOUND") ? "no such file or folder" : (e as Error).message;
    throw new UsageError(`${positionals[0]}: ${why}`, "share");
  }
  const dir = found.info.isDirectory;
  if (v.upload && !dir) throw new UsageError("--upload shares a folder", "share");
  const expires = Date.now() + expiresMs;
  const token = signShare(
    { path: segments, rights: v.upload ? "w" : "r", expires, creator: null },
    secrets.current(),
  );
  const path = sharePath(token, dir ? null : segments.at(-1)!);
  console.log(new URL(base.pathname.replace(/\/$/, "") + path, base).href);
  console.error(
    `netkit share: ${v.upload ? "upload into" : "read"} /${segments.join("/")}` +
      ` until ${formatTime(expires)} UTC`,
  );
  return 0;
}
