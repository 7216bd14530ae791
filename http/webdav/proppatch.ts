/**
 * `PROPPATCH` (RFC 4918 section 9.2): `set` and `remove` instructions
 * applied in document order, all or nothing. A protected live property
 * fails with 403 `cannot-modify-protected-property` and every other
 * instruction of the request with 424; otherwise the new set of dead
 * properties replaces the old one in one step through the library, under a
 * lock every instance sharing the folder honours.
 *
 * @module
 */

import type { DeadProp } from "../../core/library/dead_props.ts";
import { isNetkitError } from "../../core/errors.ts";
import type { UrlPath } from "../url_path.ts";
import type { DavContext } from "./context.ts";
import { DavError } from "./dav_error.ts";
import { guardWrite } from "./lock_guard.ts";
import { pathKey } from "./lock_rules.ts";
import { isProtected } from "./live_props.ts";
import { multistatus, propResponse } from "./multistatus.ts";
import {
  childElements,
  DAV,
  elementXml,
  emptyElementXml,
  hrefOf,
  isElement,
  readXml,
  type XmlElement,
} from "./xml.ts";

/** One instruction of a `propertyupdate`. */
export interface PropUpdate {
  op: "set" | "remove";
  /** The property element (its value for `set`). */
  prop: XmlElement;
}

/**
 * Reads a `propertyupdate` body into its instructions, in document order.
 *
 * @throws {DavError} 400 for anything else, or one without instructions
 */
export function parsePropertyUpdate(body: XmlElement | null): PropUpdate[] {
  if (body === null || !isElement(body, DAV, "propertyupdate")) {
    throw new DavError(400, "the body is not a DAV:propertyupdate");
  }
  const updates: PropUpdate[] = [];
  for (const e of childElements(body)) {
    if (e.ns !== DAV || (e.local !== "set" && e.local !== "remove")) continue;
    for (const prop of childElements(e, DAV, "prop")) {
      for (const p of childElements(prop)) updates.push({ op: e.local, prop: p });
    }
  }
  if (updates.length === 0) throw new DavError(400, "the propertyupdate changes nothing");
  return updates;
}

/** The dead properties after applying `updates` in order to `props`. */
export function applyUpdates(
  props: readonly DeadProp[],
  updates: readonly PropUpdate[],
): DeadProp[] {
  let out = [...props];
  for (const { op, prop } of updates) {
    out = out.filter((p) => !(p.ns === prop.ns && p.local === prop.local));
    if (op === "set") out.push({ ns: prop.ns, local: prop.local, xml: elementXml(prop) });
  }
  return out;
}

/** Answers PROPPATCH on `path`. */
export async function handleProppatch(
  ctx: DavContext,
  req: Request,
  path: UrlPath,
): Promise<Response> {
  const { library } = ctx;
  const segments = path.segments;
  await guardWrite(
    library,
    req,
    segments,
    [{ path: pathKey(segments), tree: false }],
    ctx.policy.principalOf(req),
  );
  const updates = parsePropertyUpdate(await readXml(req, { maxBytes: ctx.maxXmlBytes }));
  let info;
  try {
    info = (await library.stat(segments)).info;
  } catch (e) {
    if (isNetkitError(e, "NOT_FOUND")) throw new DavError(404, "not found");
    throw e;
  }
  const href = hrefOf(segments, info.isDirectory);
  const names = [...new Map(updates.map((u) => [`{${u.prop.ns}}${u.prop.local}`, u.prop]))
    .values()].map((p) => ({ p, xml: emptyElementXml(p.ns, p.local) }));
  const refused = names.filter(({ p }) => p.ns === DAV && isProtected(p.local));
  if (refused.length > 0) {
    const rest = names.filter((n) => !refused.includes(n));
    return multistatus([
      propResponse(href, [
        {
          status: 403,
          props: refused.map((n) => n.xml),
          condition: "cannot-modify-protected-property",
        },
        { status: 424, props: rest.map((n) => n.xml) },
      ]),
    ], ctx.common);
  }
  await library.patchDeadProps(segments, (props) => applyUpdates(props, updates));
  return multistatus(
    [propResponse(href, [{ status: 200, props: names.map((n) => n.xml) }])],
    ctx.common,
  );
}
