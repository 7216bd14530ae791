/**
 * Whether a test cluster can be made on this machine, and if not, why: the
 * one line a skipped test prints.
 *
 * @module
 */

import { run } from "./exec.ts";

/** The tools a cluster needs; the first one missing is named by {@linkcode missingForCluster}. */
const TOOLS = [
  "ip",
  "nsenter",
  "unshare",
  "setsid",
  "mount",
  "umount",
  "ss",
  "glusterd",
  "gluster",
  "mount.glusterfs",
  "nginx",
  "haproxy",
];

/**
 * Why a cluster cannot be made here, or null when it can: root is needed
 * (namespaces, mounts), and the tools of `glusterfs-server`,
 * `glusterfs-client`, `fuse3`, `nginx`, `libnginx-mod-stream` and `haproxy`.
 */
export async function missingForCluster(): Promise<string | null> {
  if (Deno.build.os !== "linux") return "a cluster needs Linux (network namespaces, FUSE)";
  if (Deno.uid() !== 0) return "a cluster needs root (network namespaces, mounts)";
  const missing: string[] = [];
  for (const tool of TOOLS) {
    const { code } = await run("sh", ["-c", `command -v ${tool}`], { check: false });
    if (code !== 0) missing.push(tool);
  }
  try {
    await Deno.stat("/usr/lib/nginx/modules/ngx_stream_module.so");
  } catch {
    missing.push("ngx_stream_module (libnginx-mod-stream)");
  }
  try {
    await Deno.stat("/dev/fuse");
  } catch {
    missing.push("/dev/fuse");
  }
  if (missing.length > 0) {
    return `missing ${
      missing.join(", ")
    } (apt-get install glusterfs-server glusterfs-client fuse3 nginx libnginx-mod-stream haproxy)`;
  }
  return null;
}
