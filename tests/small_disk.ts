/**
 * A real small disk for full-disk tests: a tmpfs of a given size mounted on
 * a fresh temp folder, unmounted and removed on dispose. Needs root on Linux
 * (or a kernel that lets this user mount); tests skip, saying why, when it
 * cannot be had.
 *
 * @module
 */

/** A mounted small disk. */
export interface SmallDisk extends AsyncDisposable {
  /** Where it is mounted. */
  path: string;
}

/** Mounts a tmpfs of `size` (`mount -o size=...`, e.g. "5m"); null when it cannot. */
export async function smallDisk(size: string): Promise<SmallDisk | null> {
  if (Deno.build.os !== "linux") return null;
  const path = await Deno.makeTempDir({ prefix: "netkit-full-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", path],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => null);
  if (!mount?.success) {
    await Deno.remove(path);
    return null;
  }
  return {
    path,
    async [Symbol.asyncDispose]() {
      await new Deno.Command("umount", { args: [path] }).output();
      await Deno.remove(path);
    },
  };
}

/** Whether small disks can be mounted here (tried once, then unmounted). */
export const canMountSmallDisk = await (async () => {
  const probe = await smallDisk("1m");
  await probe?.[Symbol.asyncDispose]();
  return probe !== null;
})();

/** The suffix a test name takes when small disks cannot be had. */
export const SMALL_DISK_SKIP = canMountSmallDisk
  ? ""
  : " (skipped: cannot mount a small tmpfs here; needs root on Linux)";
