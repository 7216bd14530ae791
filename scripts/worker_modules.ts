/**
 * Every module that netkit starts as a `Worker`, relative to the project
 * root. `deno compile` does not embed Worker modules on its own: the compile
 * task passes each of these with `--include`, and a test fails when code
 * starts a Worker from a module missing here.
 *
 * @module
 */

/** Worker entry modules, relative to the project root. */
export const WORKER_MODULES: readonly string[] = [
  "server/file_server_worker.ts",
  "core/hash/hash_worker.ts",
  "core/access/kdf_worker.ts",
  "http/worker.ts",
  "http/compress_worker.ts",
];
