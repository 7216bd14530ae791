/**
 * macOS Finder's metadata files on a WebDAV volume: AppleDouble `._name`
 * files (extended attributes and resource forks), `.DS_Store` (window
 * layout) and the volume-level folders Finder and Spotlight make. With
 * `--macos-files`: `refuse` answers every write of them 403 (Finder copes),
 * `hide` accepts the writes and keeps nothing (reads then find nothing,
 * listings never show them), `keep` stores them like any dot-file (which
 * then needs `--hidden`).
 *
 * @module
 */

import { DavError } from "./dav_error.ts";

/** What happens to macOS metadata files. */
export type MacFiles = "refuse" | "hide" | "keep";

const VOLUME_NAMES = new Set([
  ".DS_Store",
  ".Trashes",
  ".fseventsd",
  ".Spotlight-V100",
  ".TemporaryItems",
  ".metadata_never_index",
  ".metadata_never_index_unless_rootfs",
  ".metadata_direct_scope_only",
  ".com.apple.timemachine.donotpresent",
  ".VolumeIcon.icns",
]);

/** True for a name Finder makes for its own metadata. */
export function isMacMetadata(name: string): boolean {
  return name.startsWith("._") || VOLUME_NAMES.has(name);
}

/** True when any of the paths ends in a macOS metadata name. */
export function touchesMacMetadata(...paths: (readonly string[] | null)[]): boolean {
  return paths.some((p) => p !== null && p.length > 0 && isMacMetadata(p.at(-1)!));
}

const READS = new Set(["GET", "HEAD", "PROPFIND", "OPTIONS"]);

/**
 * The answer for a request about a macOS metadata file when they are not
 * kept: reads find nothing; writes are refused (`refuse`) or accepted and
 * dropped (`hide`).
 */
export async function macMetadataAnswer(
  req: Request,
  mode: Exclude<MacFiles, "keep">,
  common: [string, string][],
): Promise<Response> {
  if (READS.has(req.method)) throw new DavError(404, "not found");
  if (mode === "refuse") throw new DavError(403, "macOS metadata files are refused on this server");
  await req.body?.cancel().catch(() => {});
  const status = req.method === "DELETE" || req.method === "UNLOCK" ? 204 : 201;
  const headers: [string, string][] = [...common];
  if (req.method === "LOCK") {
    // A lock nobody else will ever see: the file it guards is never kept.
    const token = `urn:uuid:${crypto.randomUUID()}`;
    headers.push(["lock-token", `<${token}>`], ["content-type", "application/xml; charset=utf-8"]);
    return new Response(
      `<?xml version="1.0" encoding="utf-8"?>\n<D:prop xmlns:D="DAV:"><D:lockdiscovery><D:activelock>` +
        `<D:locktype><D:write/></D:locktype><D:lockscope><D:exclusive/></D:lockscope>` +
        `<D:depth>0</D:depth><D:timeout>Second-3600</D:timeout>` +
        `<D:locktoken><D:href>${token}</D:href></D:locktoken></D:activelock></D:lockdiscovery></D:prop>\n`,
      { status: 200, headers },
    );
  }
  return new Response(null, { status, headers });
}
