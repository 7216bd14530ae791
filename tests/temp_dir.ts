/**
 * A temporary folder for a test, removed with everything in it when the
 * handle is disposed: `await using dir = await tempDir();`.
 *
 * @module
 */

/** A temp folder; `path` is canonical (symlinks in the temp root resolved). */
export interface TempDir extends AsyncDisposable {
  /** The folder's canonical path. */
  readonly path: string;
  /** `path` joined with `parts` by `/`. */
  join(...parts: string[]): string;
}

/** Makes a fresh temp folder whose name starts with `netkit-test-` and `prefix`. */
export async function tempDir(prefix = ""): Promise<TempDir> {
  const path = await Deno.realPath(
    await Deno.makeTempDir({ prefix: `netkit-test-${prefix}` }),
  );
  return {
    path,
    join: (...parts) => [path, ...parts].join("/"),
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
