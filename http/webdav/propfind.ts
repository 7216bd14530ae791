/**
 * `PROPFIND` (RFC 4918 section 9.1): `allprop` (with `include`), `propname`
 * or named properties, at Depth 0 or 1 (infinity is refused with 403 and
 * `propfind-finite-depth`, so no request can walk a whole tree). The 207
 * body is streamed: a folder's members are read in batches as the client
 * takes the answer, so memory stays at one batch whatever the folder holds.
 * Unknown properties get a 404 `propstat`.
 *
 * @module
 */

import type { DeadProp } from "../../core/library/dead_props.ts";
import { isNetkitError } from "../../core/errors.ts";
import type { LockRecord } from "../../core/library/lock_store.ts";
import type { UrlPath } from "../url_path.ts";
import { type DavContext, parseDepth } from "./context.ts";
import { DavError } from "./dav_error.ts";
import { hrefOfKey } from "./lock_guard.ts";
import { covering, pathKey } from "./lock_rules.ts";
import { isLive, LIVE_PROPS, liveProp, type LiveResource } from "./live_props.ts";
import {
  MULTISTATUS_HEAD,
  MULTISTATUS_TAIL,
  propResponse,
  type Propstat,
  XML_TYPE,
} from "./multistatus.ts";
import { isMacMetadata } from "./quirks.ts";
import {
  childElements,
  DAV,
  emptyElementXml,
  hrefOf,
  isElement,
  readXml,
  type XmlElement,
} from "./xml.ts";

/** A property's expanded name. */
export interface PropName {
  ns: string;
  local: string;
}

/** What a PROPFIND asks for. */
export type PropfindAsk =
  | { kind: "allprop" }
  | { kind: "propname" }
  | { kind: "prop"; names: PropName[] };

/**
 * Reads a `propfind` body (none: `allprop`).
 *
 * @throws {DavError} 400 for anything but a `propfind` with `allprop`, `propname` or `prop`
 */
export function parsePropfind(body: XmlElement | null): PropfindAsk {
  if (body === null) return { kind: "allprop" };
  if (!isElement(body, DAV, "propfind")) throw new DavError(400, "the body is not a DAV:propfind");
  const kids = childElements(body).filter((e) => e.ns === DAV);
  if (kids.some((e) => e.local === "allprop")) return { kind: "allprop" };
  if (kids.some((e) => e.local === "propname")) return { kind: "propname" };
  const prop = kids.find((e) => e.local === "prop");
  if (prop === undefined) throw new DavError(400, "a propfind needs allprop, propname or prop");
  return { kind: "prop", names: childElements(prop).map(({ ns, local }) => ({ ns, local })) };
}

/** The property groups of one resource for `ask`. */
export function propstats(ask: PropfindAsk, r: LiveResource, dead: DeadProp[]): Propstat[] {
  const deadName = dead.some((p) => p.ns === DAV && p.local === "displayname");
  if (ask.kind === "propname") {
    const names = LIVE_PROPS.filter((n) => liveProp(n, r) !== null).map((n) => `<D:${n}/>`);
    for (const p of dead) {
      if (!(p.ns === DAV && isLive(p.local))) names.push(emptyElementXml(p.ns, p.local));
    }
    return [{ status: 200, props: names }];
  }
  if (ask.kind === "allprop") {
    const found: string[] = [];
    for (const n of LIVE_PROPS) {
      if (n === "displayname" && deadName) continue;
      const v = liveProp(n, r);
      if (v !== null) found.push(v);
    }
    for (const p of dead) found.push(p.xml);
    return [{ status: 200, props: found }];
  }
  const found: string[] = [];
  const missing: string[] = [];
  for (const { ns, local } of ask.names) {
    const d = dead.find((p) => p.ns === ns && p.local === local);
    const live = ns === DAV && isLive(local) && !(local === "displayname" && d)
      ? liveProp(local, r)
      : null;
    const v = live ?? d?.xml ?? null;
    if (v !== null) found.push(v);
    else missing.push(emptyElementXml(ns, local));
  }
  return [{ status: 200, props: found }, { status: 404, props: missing }];
}

/** True when `ask` needs dead properties (named ones outside the live set, or all). */
function needsDead(ask: PropfindAsk): boolean {
  return ask.kind !== "prop" ||
    ask.names.some((n) => n.ns !== DAV || !isLive(n.local) || n.local === "displayname");
}

/** True when `ask` shows locks (`lockdiscovery`, by name or in `allprop`). */
function needsLocks(ask: PropfindAsk): boolean {
  return ask.kind === "allprop" ||
    (ask.kind === "prop" && ask.names.some((n) => n.ns === DAV && n.local === "lockdiscovery"));
}

/** Answers PROPFIND on `path`. */
export async function handlePropfind(
  ctx: DavContext,
  req: Request,
  path: UrlPath,
): Promise<Response> {
  const depth = parseDepth(req.headers.get("depth"), "infinity");
  if (depth === "infinity") {
    throw new DavError(403, "Depth: infinity is not supported", "propfind-finite-depth");
  }
  const ask = parsePropfind(await readXml(req, { maxBytes: ctx.maxXmlBytes }));
  const { library } = ctx;
  let found;
  try {
    found = await library.stat(path.segments);
  } catch (e) {
    // A name the jail refuses (a hidden one without --hidden) is as absent as for GET.
    if (isNetkitError(e, "NOT_FOUND", "INVALID_NAME")) throw new DavError(404, "not found");
    throw e;
  }
  if ((found.info.isFile && path.slash) || !(found.info.isFile || found.info.isDirectory)) {
    throw new DavError(404, "not found");
  }
  const live = needsLocks(ask) ? await library.locks.list() : [];
  const nowMs = library.locks.now();
  const dead = needsDead(ask);
  const hideMac = ctx.macFiles !== "keep";
  const roots = new Map<string, string>();
  const lockRoot = (key: string) => {
    let h = roots.get(key);
    if (h === undefined) roots.set(key, h = hrefOfKey(library, key));
    return h;
  };
  const one = (segments: string[], info: Deno.FileInfo, props: DeadProp[]): string => {
    const locks: LockRecord[] = live.length === 0 ? [] : covering(live, pathKey(segments));
    const r: LiveResource = { segments, info, locks, nowMs, lockRoot };
    return propResponse(hrefOf(segments, info.isDirectory), propstats(ask, r, props));
  };
  const segments = path.segments;
  const self = one(segments, found.info, dead ? await library.deadProps(segments) : []);
  // A drop box (a folder written, not read) answers for itself, never for its members.
  const members = depth === 1 && found.info.isDirectory && ctx.policy.may(req, "read", segments);

  async function* body(): AsyncGenerator<string> {
    yield MULTISTATUS_HEAD + self;
    if (members) {
      const propsOf = dead ? await library.deadPropsOf(segments) : null;
      for await (const batch of library.entries(segments)) {
        let out = "";
        for (const e of batch) {
          if (hideMac && isMacMetadata(e.name)) continue;
          const member = [...segments, e.name];
          if (!ctx.policy.visible(req, member, e.info.isDirectory)) continue;
          out += one(member, e.info, propsOf ? await propsOf(e.name) : []);
        }
        yield out;
      }
    }
    yield MULTISTATUS_TAIL;
  }
  return new Response(ReadableStream.from(body()).pipeThrough(new TextEncoderStream()), {
    status: 207,
    headers: [...ctx.common, ["content-type", XML_TYPE]],
  });
}
