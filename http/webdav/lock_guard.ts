/**
 * The check every writing method of `netkit http` passes before it changes
 * anything, WebDAV's or not: the `If` header must hold (else 412; 400 when
 * malformed), and every lock on what the request changes must have its
 * token submitted by the principal that took it (else 423 with the
 * `lock-token-submitted` precondition). The locks are read from the
 * library's lock store, so a lock taken through any instance sharing the
 * folder stops the write; with no lock and no `If` header the check costs
 * one `readDir`.
 *
 * @module
 */

import type { LockRecord } from "../../core/library/lock_store.ts";
import type { Library } from "../../core/library/library.ts";
import { parseUrlPath, rawPathOf } from "../url_path.ts";
import { DavError } from "./dav_error.ts";
import { parseIfHeader, submittedTokens } from "./if_header.ts";
import { etagOf } from "./live_props.ts";
import {
  blocking,
  covering,
  evaluateIf,
  pathKey,
  type Protected,
  type ResourceState,
} from "./lock_rules.ts";
import { hrefOf } from "./xml.ts";

/** What the check found, for a handler that needs more (DELETE). */
export interface GuardResult {
  /** The live locks. */
  live: LockRecord[];
  /** The tokens the request submitted. */
  submitted: Set<string>;
}

/**
 * Checks a write to `targets` made by `principal`; `at` is the request
 * URI's resource (what untagged `If` lists are about).
 *
 * @throws {DavError} 400, 412 or 423
 */
export async function guardWrite(
  library: Library,
  req: Request,
  at: readonly string[],
  targets: readonly Protected[],
  principal: string,
): Promise<GuardResult> {
  const header = req.headers.get("if");
  const lists = header === null ? [] : parseIfHeader(header);
  if (lists === null) throw new DavError(400, "malformed If header");
  const live = await library.locks.list();
  const submitted = submittedTokens(lists);
  if (lists.length > 0) {
    const states = new Map<string | null, ResourceState>();
    for (const l of lists) {
      if (!states.has(l.resource)) {
        states.set(
          l.resource,
          stateOf(library, live, l.resource === null ? at : tagged(l.resource)),
        );
      }
    }
    if (!evaluateIf(lists, (r) => states.get(r)!)) {
      throw new DavError(412, "the If header's conditions do not hold");
    }
  }
  const blocked = blocking(live, targets, submitted, principal);
  if (blocked.length > 0) throw lockedError(library, blocked);
  return { live, submitted };
}

/** The 423 answer naming the roots of `locks`. */
export function lockedError(library: Library, locks: readonly LockRecord[]): DavError {
  return new DavError(423, "locked", "lock-token-submitted", rootHrefs(library, locks));
}

/** The hrefs of the roots of `locks`, each once, in order. */
export function rootHrefs(library: Library, locks: readonly LockRecord[]): string[] {
  return [...new Set(locks.map((l) => l.path))].map((key) => hrefOfKey(library, key));
}

/** The href of a lock-store key, with a trailing slash for a folder. */
export function hrefOfKey(library: Library, key: string): string {
  const segments = key === "" ? [] : key.split("/");
  return hrefOf(segments, library.tryFind(segments)?.info.isDirectory ?? false);
}

/** The segments a tagged `If` list names (an absolute URL or path), or null when it names nothing here. */
function tagged(resource: string): string[] | null {
  try {
    const path = /^[a-z][a-z0-9+.-]*:\/\//i.test(resource) ? rawPathOf(resource) : resource;
    return parseUrlPath(path).segments;
  } catch {
    return null;
  }
}

function stateOf(
  library: Library,
  live: readonly LockRecord[],
  segments: readonly string[] | null,
): ResourceState {
  if (segments === null) return { etag: null, locks: [] };
  const f = library.tryFind(segments);
  return { etag: f ? etagOf(f.info) : null, locks: covering(live, pathKey(segments)) };
}
