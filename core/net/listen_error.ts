/**
 * Why a server could not start listening, said in the terms the user gave:
 * the address and port, the certificate and key files. One wording for
 * every service (serve-files, http, tftp). A Worker isolate passes its
 * errors on as text, so errors are recognised by their message as well as
 * their class.
 *
 * @module
 */

import { isNetkitError } from "../errors.ts";
import { formatHostPort } from "./net.ts";

/** What a server tried to listen on. */
export interface ListenTarget {
  /** The address asked for (`--host`). */
  hostname: string;
  /** The port asked for (`--port`). */
  port: number;
  /** The transport, named in messages. @default "tcp" */
  transport?: "tcp" | "udp";
  /** The PEM files given with `--cert` and `--key`, when serving TLS. */
  tls?: { certFile: string; keyFile: string } | null;
}

/** The lowest port an unprivileged process may bind (Linux makes it tunable). */
function unprivilegedPortStart(): number {
  if (Deno.build.os !== "linux") return 1024;
  try {
    const n = Number(Deno.readTextFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start"));
    return Number.isInteger(n) ? n : 1024;
  } catch {
    return 1024;
  }
}

/**
 * A one-line error for a failed listen, naming the host, the port or the
 * files at fault; netkit's own errors (a missing root, say) and errors it
 * does not recognise come back unchanged.
 */
export function listenError(e: unknown, target: ListenTarget): unknown {
  if (isNetkitError(e)) return e;
  const name = (e as Error)?.name ?? "";
  const text = e instanceof Error ? e.message : String(e);
  const udp = target.transport === "udp" ? "udp " : "";
  const where = `cannot listen on ${udp}${formatHostPort(target.hostname, target.port)}`;
  const is = (cls: string, pattern: RegExp) => name === cls || pattern.test(text);
  if (is("AddrInUse", /address already in use|os error 98\b/i)) {
    return new Error(`${where}: the address is in use (another server on that port?)`);
  }
  if (is("AddrNotAvailable", /cannot assign requested address|os error 99\b/i)) {
    return new Error(`${where}: ${target.hostname} is not an address of this machine`);
  }
  if (/failed to lookup address|name or service not known|no address associated/i.test(text)) {
    return new Error(`${where}: '${target.hostname}' is neither an address nor a known host`);
  }
  if (is("PermissionDenied", /permission denied|os error 13\b/i)) {
    const start = unprivilegedPortStart();
    if (target.port > 0 && target.port < start) {
      return new Error(
        `${where}: port ${target.port} is privileged (below ${start}); run as root, grant ` +
          `CAP_NET_BIND_SERVICE, or use a port from ${start} up`,
      );
    }
    return new Error(`${where}: permission denied`);
  }
  const tls = target.tls;
  if (tls) {
    if (/keymismatch|keys may not be consistent/i.test(text)) {
      return new Error(
        `--cert ${tls.certFile} and --key ${tls.keyFile} do not match: ` +
          `the key is not the certificate's`,
      );
    }
    if (/certificate/i.test(text)) {
      return new Error(`--cert ${tls.certFile}: no usable certificate in it (${text})`);
    }
    if (/\bkey\b|private/i.test(text)) {
      return new Error(`--key ${tls.keyFile}: no usable private key in it (${text})`);
    }
  }
  return e;
}
