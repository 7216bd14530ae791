/**
 * The command-line flags of `netkit http` for writes, credentials and
 * access rules, parsed into {@linkcode WebOptions}, with the start-up
 * refusals: writes without credentials (unless rules say who), bad rules,
 * and credentials sent in the clear over a network.
 *
 * @module
 */

import { AccessRules } from "../core/access/access_rules.ts";
import { parseSize, UsageError } from "../core/cli/cli_args.ts";
import type { FlagTable, FlagValues } from "../core/cli/command_line.ts";
import { isLoopback } from "../core/net/net.ts";
import { credentialsConfigured, type WebOptions, writesEnabled } from "./web_options.ts";

/** The flags, merged into the `http` flag table. */
export const WEB_FLAGS = {
  upload: { type: "boolean", default: false },
  overwrite: { type: "boolean", default: false },
  "max-upload": { type: "string" },
  mkdir: { type: "boolean", default: false },
  delete: { type: "boolean", default: false },
  auth: { type: "string", secret: true },
  token: { type: "string", secret: true, env: "NETKIT_TOKEN" },
  users: { type: "string", path: true },
  allow: { type: "string", multiple: true },
  "auth-read": { type: "boolean", default: false },
  "insecure-auth": { type: "boolean", default: false },
  "no-archive": { type: "boolean", default: false },
  webdav: { type: "boolean", default: false },
  "macos-files": { type: "string" },
} as const satisfies FlagTable;

/** The parsed values of {@linkcode WEB_FLAGS}. */
type Values = FlagValues<typeof WEB_FLAGS>;

/**
 * Turns the flags into options.
 *
 * @param host the address the server will listen on
 * @param tls true when HTTPS is on
 * @throws {UsageError} for a bad value or an unsafe combination
 */
export function parseWebArgs(v: Values, host: string, tls: boolean): WebOptions {
  const token = v.token;
  if (token !== undefined && token === "") {
    throw new UsageError("--token: must not be empty", "http");
  }
  const auth = v.auth;
  if (auth !== undefined && (auth.indexOf(":") < 1 || auth.endsWith(":"))) {
    throw new UsageError("--auth: expected USER:PASSWORD (neither empty)", "http");
  }
  const allow = v.allow ?? [];
  let rules: AccessRules | null = null;
  try {
    if (allow.length > 0) rules = AccessRules.parse(allow);
  } catch (e) {
    throw new UsageError(`--allow ${(e as Error).message}`, "http");
  }
  const o: WebOptions = {
    upload: v.upload ?? false,
    overwrite: v.overwrite ?? false,
    maxUpload: v["max-upload"] === undefined
      ? undefined
      : parseSize(v["max-upload"], "--max-upload"),
    mkdir: v.mkdir ?? false,
    delete: v.delete ?? false,
    auth,
    token,
    users: v.users,
    allow,
    authRead: v["auth-read"] ?? false,
    archive: !v["no-archive"],
    webdav: v.webdav ?? false,
    macosFiles: parseMacFiles(v["macos-files"]),
  };
  if (v["macos-files"] !== undefined && !o.webdav) {
    throw new UsageError("--macos-files needs --webdav", "http");
  }
  const credentials = credentialsConfigured(o);
  if (writesEnabled(o) && !credentials && rules === null) {
    throw new UsageError(
      "--upload, --mkdir and --delete need --auth, --users or --token (or --allow rules that say who)",
      "http",
    );
  }
  if (o.authRead && !credentials) {
    throw new UsageError("--auth-read needs --auth, --users or --token", "http");
  }
  if (o.authRead && rules !== null) {
    throw new UsageError(
      "--auth-read goes without --allow: say it as a rule (--allow /:r:*)",
      "http",
    );
  }
  if (rules?.wantsSignIn() && !credentials) {
    throw new UsageError(
      "--allow names signed-in users, but there is no --users, --auth or --token",
      "http",
    );
  }
  if (credentials && !tls && !isLoopback(host) && !v["insecure-auth"]) {
    throw new UsageError(
      `credentials would cross the network in the clear on ${host}: use --cert/--key, or --insecure-auth`,
      "http",
    );
  }
  return o;
}

function parseMacFiles(v: string | undefined): WebOptions["macosFiles"] {
  if (v === undefined) return "refuse";
  if (v === "refuse" || v === "hide" || v === "keep") return v;
  throw new UsageError("--macos-files: expected refuse, hide or keep", "http");
}
