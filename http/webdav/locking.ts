/**
 * `LOCK` and `UNLOCK` (RFC 4918 sections 9.10 and 9.11): exclusive and
 * shared write locks at Depth 0 or infinity, `urn:uuid:` tokens, timeouts
 * (`Second-N`, capped), refresh through the `If` header (also by a member
 * of a locked collection), and LOCK on an unmapped URL creating an empty
 * file (201). Granting happens in the library's lock store, where every
 * instance sharing the folder sees it; a conflict is 423 with
 * `no-conflicting-lock`.
 *
 * @module
 */

import { isNetkitError } from "../../core/errors.ts";
import { isLockToken, type LockDraft, type LockRecord } from "../../core/library/lock_store.ts";
import type { UrlPath } from "../url_path.ts";
import { type DavContext, parseDepth, parseTimeout } from "./context.ts";
import { DavError } from "./dav_error.ts";
import { parseIfHeader, submittedTokens } from "./if_header.ts";
import { activeLock } from "./live_props.ts";
import { guardWrite, hrefOfKey, rootHrefs } from "./lock_guard.ts";
import { conflicts, covers, isWithin, pathKey } from "./lock_rules.ts";
import { XML_TYPE } from "./multistatus.ts";
import {
  child,
  childElements,
  DAV,
  elementXml,
  hrefOf,
  isElement,
  readXml,
  type XmlElement,
} from "./xml.ts";

/** What a `lockinfo` body asks for. */
export interface LockInfo {
  scope: "exclusive" | "shared";
  /** The `owner` element, self-contained, or "". */
  owner: string;
}

/**
 * Reads a `lockinfo` body.
 *
 * @throws {DavError} 400 unless it is a write lock, exclusive or shared
 */
export function parseLockInfo(body: XmlElement): LockInfo {
  if (!isElement(body, DAV, "lockinfo")) throw new DavError(400, "the body is not a DAV:lockinfo");
  const scopeEl = child(body, DAV, "lockscope");
  const scope = scopeEl && childElements(scopeEl).find((e) => e.ns === DAV)?.local;
  if (scope !== "exclusive" && scope !== "shared") {
    throw new DavError(400, "lockscope must be exclusive or shared");
  }
  const type = child(body, DAV, "locktype");
  if (!type || !child(type, DAV, "write")) throw new DavError(400, "only write locks exist");
  const owner = child(body, DAV, "owner");
  return { scope, owner: owner ? elementXml(owner) : "" };
}

/** The answer granting `lock`; `rootHref` when the handler knows it without a lookup. */
function lockAnswer(
  ctx: DavContext,
  lock: LockRecord,
  status: number,
  rootHref = hrefOfKey(ctx.library, lock.path),
): Response {
  const body = `<?xml version="1.0" encoding="utf-8"?>\n<D:prop xmlns:D="DAV:"><D:lockdiscovery>${
    activeLock(lock, ctx.library.locks.now(), rootHref)
  }</D:lockdiscovery></D:prop>\n`;
  return new Response(body, {
    status,
    headers: [...ctx.common, ["content-type", XML_TYPE], ["lock-token", `<${lock.token}>`]],
  });
}

/** Answers LOCK on `path`: a new lock, or a refresh when there is no body. */
export async function handleLock(ctx: DavContext, req: Request, path: UrlPath): Promise<Response> {
  const { library } = ctx;
  const segments = path.segments;
  const key = pathKey(segments);
  const principal = ctx.policy.principalOf(req);
  const timeoutSec = parseTimeout(req.headers.get("timeout"), ctx.maxLockSeconds);
  const body = await readXml(req, { maxBytes: ctx.maxXmlBytes });
  if (body === null) return await refresh(ctx, req, key, principal, timeoutSec);

  const info = parseLockInfo(body);
  const depth = parseDepth(req.headers.get("depth"), "infinity");
  if (depth === 1) throw new DavError(400, "a lock has Depth 0 or infinity");
  // A tree's lock stops others' writes all through it: `w` everywhere in it.
  if (depth === "infinity" && !ctx.policy.mayTree(req, "write", segments)) {
    return ctx.policy.refuse(req, "write", segments);
  }
  const existing = library.tryFind(segments);
  if (existing === null && segments.length === 0) throw new DavError(404, "not found");
  // A new empty file changes its folder's membership: that folder's locks must be submitted.
  const parent = pathKey(segments.slice(0, -1));
  await guardWrite(
    library,
    req,
    segments,
    existing ? [] : [{ path: parent, tree: false }],
    principal,
  );
  const draft: LockDraft = {
    path: key,
    depth,
    scope: info.scope,
    owner: info.owner,
    principal,
    timeoutSec,
  };
  const lock = await library.locks.create(draft, (live) => {
    const hit = conflicts(live, draft);
    if (hit.length > 0) {
      const hrefs = rootHrefs(library, hit);
      throw new DavError(423, "a conflicting lock exists", "no-conflicting-lock", hrefs);
    }
  });
  if (existing !== null) {
    return lockAnswer(ctx, lock, 200, hrefOf(segments, existing.info.isDirectory));
  }
  try {
    await using up = await library.beginUpload(segments);
    await up.commit();
  } catch (e) {
    await library.locks.remove((l) => l.token === lock.token);
    if (isNetkitError(e, "NOT_FOUND")) throw new DavError(409, "the folder does not exist");
    if (isNetkitError(e, "EXISTS")) return lockAnswer(ctx, lock, 200); // made meanwhile: locked all the same
    throw e;
  }
  return lockAnswer(ctx, lock, 201, hrefOf(segments, false));
}

/** Refreshes the lock whose token the `If` header submits, if it covers `key`. */
async function refresh(
  ctx: DavContext,
  req: Request,
  key: string,
  principal: string,
  timeoutSec: number,
): Promise<Response> {
  const header = req.headers.get("if");
  const lists = header === null ? null : parseIfHeader(header);
  if (lists === null) throw new DavError(400, "a lock refresh needs an If header with the token");
  const tokens = submittedTokens(lists);
  const live = await ctx.library.locks.list();
  const lock = live.find((l) => tokens.has(l.token) && covers(l, key));
  if (lock === undefined) {
    throw new DavError(
      412,
      "no lock of this resource is submitted",
      "lock-token-matches-request-uri",
    );
  }
  const next = await ctx.library.locks.refresh(lock.token, timeoutSec, (l) => {
    if (l.principal !== principal) throw new DavError(403, "the lock belongs to someone else");
  }).catch((e) => {
    throw isNetkitError(e, "NOT_FOUND") ? new DavError(412, "the lock is gone") : e;
  });
  return lockAnswer(ctx, next, 200);
}

/** Answers UNLOCK on `path`. */
export async function handleUnlock(
  ctx: DavContext,
  req: Request,
  path: UrlPath,
): Promise<Response> {
  const raw = req.headers.get("lock-token")?.trim() ?? "";
  const token = raw.startsWith("<") && raw.endsWith(">") ? raw.slice(1, -1) : "";
  if (token === "") throw new DavError(400, "UNLOCK needs a Lock-Token header");
  const key = pathKey(path.segments);
  const principal = ctx.policy.principalOf(req);
  const lock = isLockToken(token)
    ? (await ctx.library.locks.list()).find((l) => l.token === token && covers(l, key))
    : undefined;
  if (lock === undefined) {
    throw new DavError(409, "no such lock on this resource", "lock-token-matches-request-uri");
  }
  if (lock.principal !== principal) throw new DavError(403, "the lock belongs to someone else");
  await ctx.library.locks.remove((l) => l.token === token);
  return new Response(null, { status: 204, headers: ctx.common });
}

/** Releases the locks rooted at or below `segments` (their resources are gone). */
export async function dropLocksUnder(ctx: DavContext, segments: readonly string[]): Promise<void> {
  const key = pathKey(segments);
  await ctx.library.locks.remove((l) => isWithin(l.path, key));
}
