/**
 * Local paths as the command lines take them: the default name of a file
 * is the last segment of the path it was given by.
 *
 * @module
 */

import { UsageError } from "./cli_args.ts";

/**
 * The last segment of a local path, split at `/` and `\`, with trailing
 * separators ignored (`dir/a.txt/` gives `a.txt`).
 *
 * @throws {UsageError} when there is no segment, or it is `.` or `..`,
 *   which name no file of their own
 */
export function baseName(path: string): string {
  const last = path.split(/[\\/]/).filter((p) => p !== "").at(-1);
  if (last === undefined || last === "." || last === "..") {
    throw new UsageError(`cannot derive a file name from '${path}'`);
  }
  return last;
}
