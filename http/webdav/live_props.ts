/**
 * The live properties netkit computes for every resource (RFC 4918 section
 * 15): creationdate, displayname, getcontentlength, getcontenttype, getetag
 * (the very strong ETag a GET of the file sends), getlastmodified,
 * resourcetype, supportedlock and lockdiscovery. Pure: metadata and locks
 * in, XML out.
 *
 * @module
 */

import type { LockRecord } from "../../core/library/lock_store.ts";
import { fileEtag } from "../conditional.ts";
import { contentTypeFor } from "../content_type.ts";
import { escapeXml } from "./xml.ts";

/** The live properties, in the order `allprop` lists them. */
export const LIVE_PROPS = [
  "creationdate",
  "displayname",
  "getcontentlength",
  "getcontenttype",
  "getetag",
  "getlastmodified",
  "resourcetype",
  "supportedlock",
  "lockdiscovery",
] as const;

/** A live property's name. */
export type LiveProp = typeof LIVE_PROPS[number];

const LIVE = new Set<string>(LIVE_PROPS);

/** True for a live property of the `DAV:` namespace. */
export function isLive(local: string): local is LiveProp {
  return LIVE.has(local);
}

/** Live properties a client may not set (displayname may be set: a dead one wins). */
export function isProtected(local: string): boolean {
  return LIVE.has(local) && local !== "displayname";
}

/** What live properties are computed from. */
export interface LiveResource {
  /** The resource's segments ([] for the root). */
  segments: readonly string[];
  /** Its metadata (links followed). */
  info: Deno.FileInfo;
  /** The locks covering it. */
  locks: readonly LockRecord[];
  /** The clock's time, for the locks' remaining timeouts. */
  nowMs: number;
  /** The href of a lock's root, from its store key. */
  lockRoot(key: string): string;
}

const SUPPORTED_LOCK = `<D:supportedlock>` +
  `<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>` +
  `<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>` +
  `</D:supportedlock>`;

/** The ETag a GET of a file sends; null for folders. */
export function etagOf(info: Deno.FileInfo): string | null {
  return info.isFile ? fileEtag(info.size, info.mtime?.getTime() ?? null, info.ino) : null;
}

/** The XML of live property `name` for `r`, or null where it does not apply. */
export function liveProp(name: LiveProp, r: LiveResource): string | null {
  const { info } = r;
  switch (name) {
    case "creationdate": {
      const t = info.birthtime ?? info.mtime;
      return t ? `<D:creationdate>${t.toISOString().slice(0, 19)}Z</D:creationdate>` : null;
    }
    case "displayname":
      return r.segments.length === 0
        ? null
        : `<D:displayname>${escapeXml(r.segments.at(-1)!)}</D:displayname>`;
    case "getcontentlength":
      return info.isFile ? `<D:getcontentlength>${info.size}</D:getcontentlength>` : null;
    case "getcontenttype":
      return info.isFile
        ? `<D:getcontenttype>${
          escapeXml(contentTypeFor(r.segments.at(-1) ?? ""))
        }</D:getcontenttype>`
        : null;
    case "getetag": {
      const etag = etagOf(info);
      return etag === null ? null : `<D:getetag>${escapeXml(etag)}</D:getetag>`;
    }
    case "getlastmodified":
      return info.mtime
        ? `<D:getlastmodified>${info.mtime.toUTCString()}</D:getlastmodified>`
        : null;
    case "resourcetype":
      return info.isDirectory
        ? `<D:resourcetype><D:collection/></D:resourcetype>`
        : `<D:resourcetype/>`;
    case "supportedlock":
      return SUPPORTED_LOCK;
    case "lockdiscovery":
      return `<D:lockdiscovery>${
        r.locks.map((l) => activeLock(l, r.nowMs, r.lockRoot(l.path))).join("")
      }</D:lockdiscovery>`;
  }
}

/** One `activelock` element (also the body of a LOCK answer). */
export function activeLock(l: LockRecord, nowMs: number, rootHref: string): string {
  const left = Math.max(0, Math.ceil((l.expiresMs - nowMs) / 1000));
  return `<D:activelock><D:locktype><D:write/></D:locktype>` +
    `<D:lockscope><D:${l.scope}/></D:lockscope>` +
    `<D:depth>${l.depth === 0 ? "0" : "infinity"}</D:depth>` +
    l.owner +
    `<D:timeout>Second-${left}</D:timeout>` +
    `<D:locktoken><D:href>${escapeXml(l.token)}</D:href></D:locktoken>` +
    `<D:lockroot><D:href>${rootHref}</D:href></D:lockroot>` +
    `</D:activelock>`;
}
