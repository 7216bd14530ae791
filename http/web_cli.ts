/**
 * The command-line flags of `netkit http` for writes and credentials, parsed
 * into {@linkcode WebOptions}, with the start-up refusals: writes without
 * credentials, and credentials sent in the clear over a network.
 *
 * @module
 */

import { parseSize, UsageError } from "../core/cli_args.ts";
import type { FlagTable } from "../core/command_line.ts";
import { isLoopback } from "../core/net.ts";
import { type WebOptions, writesEnabled } from "./web_options.ts";

/** The flags, merged into the `http` flag table. */
export const WEB_FLAGS = {
  upload: { type: "boolean", default: false },
  overwrite: { type: "boolean", default: false },
  "max-upload": { type: "string" },
  mkdir: { type: "boolean", default: false },
  delete: { type: "boolean", default: false },
  auth: { type: "string", secret: true },
  token: { type: "string", secret: true, env: "NETKIT_TOKEN" },
  "auth-read": { type: "boolean", default: false },
  "insecure-auth": { type: "boolean", default: false },
  "no-archive": { type: "boolean", default: false },
} as const satisfies FlagTable;

type Values = {
  upload?: boolean;
  overwrite?: boolean;
  "max-upload"?: string;
  mkdir?: boolean;
  delete?: boolean;
  auth?: string;
  token?: string;
  "auth-read"?: boolean;
  "insecure-auth"?: boolean;
  "no-archive"?: boolean;
};

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
  if (auth !== undefined && auth.indexOf(":") < 1) {
    throw new UsageError("--auth: expected USER:PASSWORD", "http");
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
    authRead: v["auth-read"] ?? false,
    archive: !v["no-archive"],
  };
  const credentials = auth !== undefined || token !== undefined;
  if (writesEnabled(o) && !credentials) {
    throw new UsageError(
      "--upload, --mkdir and --delete need --auth USER:PASSWORD or --token TOKEN",
      "http",
    );
  }
  if (o.authRead && !credentials) {
    throw new UsageError("--auth-read needs --auth or --token", "http");
  }
  if (credentials && !tls && !isLoopback(host) && !v["insecure-auth"]) {
    throw new UsageError(
      `credentials would cross the network in the clear on ${host}: use --cert/--key, or --insecure-auth`,
      "http",
    );
  }
  return o;
}
