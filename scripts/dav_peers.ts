/**
 * The WebDAV peers netkit is measured against, started on a loopback port
 * and stopped by PID: Apache httpd with mod_dav (Debian `apache2`, its own
 * config in a temp folder) and `rclone serve webdav`. Used by the litmus
 * comparison, the PROPFIND benchmark and the tests.
 *
 * @module
 */

/** A running peer. */
export interface DavPeer extends AsyncDisposable {
  /** Its name, for reports. */
  name: string;
  /** Its base URL, ending in `/`. */
  url: string;
  /** The folder it serves. */
  root: string;
  /** The process ID (the server's main process). */
  pid: number;
}

/** The path of `cmd` on the PATH, or null. */
export function which(cmd: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${cmd}`).isFile) return `${dir}/${cmd}`;
    } catch { /* not here */ }
  }
  for (const dir of ["/usr/sbin", "/sbin"]) {
    try {
      if (Deno.statSync(`${dir}/${cmd}`).isFile) return `${dir}/${cmd}`;
    } catch { /* not here */ }
  }
  return null;
}

/** A free loopback port (bound and released; good enough for a peer started at once). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Waits until `port` accepts a connection, at most `ms` (polling, bounded). */
export async function waitListening(port: number, child: Deno.ChildProcess, ms = 15_000) {
  const deadline = Date.now() + ms;
  let exited = false;
  child.status.then(() => exited = true);
  while (Date.now() < deadline && !exited) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(exited ? "the peer exited at start" : `nothing listens on ${port}`);
}

/** Spawns `cmd` (output discarded) and waits until it listens on `port`; stops it if it never does. */
export async function spawnListening(
  cmd: string,
  args: string[],
  port: number,
): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).spawn();
  try {
    await waitListening(port, child, 30_000);
  } catch (e) {
    await stop(child);
    throw e;
  }
  return child;
}

/** Stops a child by its PID: SIGTERM, then SIGKILL after 5 s. */
export async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch { /* gone */ }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 5000);
  await child.status;
  clearTimeout(timer);
}

/**
 * Starts Apache httpd with mod_dav and mod_dav_fs serving `root` on a
 * loopback port, with its config, lock database and logs in a temp folder.
 * As root it runs its workers as `www-data`, so `root` is handed to that user.
 */
export async function startApache(root: string, cpu?: string): Promise<DavPeer> {
  const bin = which("apache2");
  if (bin === null) throw new Error("apache2 is not installed");
  const dir = await Deno.makeTempDir({ prefix: "netkit-apache-" });
  const port = freePort();
  const mods = "/usr/lib/apache2/modules";
  const asRoot = Deno.uid() === 0;
  const conf = `ServerRoot ${dir}
PidFile ${dir}/httpd.pid
Listen 127.0.0.1:${port}
ServerName 127.0.0.1
${asRoot ? "User www-data\nGroup www-data" : ""}
LoadModule mpm_event_module ${mods}/mod_mpm_event.so
LoadModule authz_core_module ${mods}/mod_authz_core.so
LoadModule dav_module ${mods}/mod_dav.so
LoadModule dav_fs_module ${mods}/mod_dav_fs.so
LoadModule mime_module ${mods}/mod_mime.so
TypesConfig /etc/mime.types
ErrorLog ${dir}/error.log
LogLevel warn
DocumentRoot ${root}
DavLockDB ${dir}/lock/DavLock
<Directory ${root}>
  Dav On
  Require all granted
</Directory>
`;
  await Deno.chmod(dir, 0o755); // the workers (www-data) reach the lock database through it
  await Deno.mkdir(`${dir}/lock`);
  await Deno.writeTextFile(`${dir}/httpd.conf`, conf);
  if (asRoot) {
    await new Deno.Command("chown", { args: ["-R", "www-data:www-data", root, `${dir}/lock`] })
      .output();
  }
  let child: Deno.ChildProcess;
  try {
    child = await spawnListening(cpu ? "taskset" : bin, [
      ...(cpu ? ["-c", cpu, bin] : []),
      "-f",
      `${dir}/httpd.conf`,
      "-DFOREGROUND",
    ], port);
  } catch (e) {
    const log = await Deno.readTextFile(`${dir}/error.log`).catch(() => "");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`apache2 did not start: ${(e as Error).message}\n${log}`);
  }
  return {
    name: "Apache mod_dav",
    url: `http://127.0.0.1:${port}/`,
    root,
    pid: child.pid,
    async [Symbol.asyncDispose]() {
      await stop(child);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Starts `rclone serve webdav` on `root` (no credentials) on a loopback port. */
export async function startRclone(root: string): Promise<DavPeer> {
  const bin = which("rclone");
  if (bin === null) throw new Error("rclone is not installed");
  const port = freePort();
  const child = await spawnListening(bin, [
    "serve",
    "webdav",
    root,
    "--addr",
    `127.0.0.1:${port}`,
    "--config",
    "/dev/null",
  ], port);
  return {
    name: "rclone serve webdav",
    url: `http://127.0.0.1:${port}/`,
    root,
    pid: child.pid,
    [Symbol.asyncDispose]: () => stop(child),
  };
}
