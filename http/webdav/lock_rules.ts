/**
 * WebDAV's locking rules (RFC 4918 sections 6, 7 and 10.4) as pure
 * functions over lock records and paths (segments joined by `/`, "" for the
 * root): which locks cover a resource, which conflict with a new one, which
 * a request must submit, and whether an `If` header holds.
 *
 * @module
 */

import type { LockDraft, LockRecord } from "../../core/library/lock_store.ts";
import type { IfList } from "./if_header.ts";

/** The lock-store key of checked segments. */
export function pathKey(segments: readonly string[]): string {
  return segments.join("/");
}

/** True when `path` is `ancestor` or lies below it. */
export function isWithin(path: string, ancestor: string): boolean {
  return ancestor === "" || path === ancestor || path.startsWith(ancestor + "/");
}

/** True when `lock` covers the resource at `path` (its root, or a member of a depth-infinity lock). */
export function covers(lock: LockRecord, path: string): boolean {
  return lock.path === path || (lock.depth === "infinity" && isWithin(path, lock.path));
}

/** The locks that cover `path`. */
export function covering(locks: readonly LockRecord[], path: string): LockRecord[] {
  return locks.filter((l) => covers(l, path));
}

/** The locks rooted strictly below `path`. */
export function below(locks: readonly LockRecord[], path: string): LockRecord[] {
  return locks.filter((l) => l.path !== path && isWithin(l.path, path));
}

/**
 * The live locks a new lock would conflict with: any lock on the resource
 * or an ancestor that covers it, and for a depth-infinity lock any lock
 * below; an exclusive lock conflicts with every one, a shared lock with
 * exclusive ones.
 */
export function conflicts(live: readonly LockRecord[], draft: LockDraft): LockRecord[] {
  const touched = draft.depth === "infinity"
    ? [...covering(live, draft.path), ...below(live, draft.path)]
    : covering(live, draft.path);
  return touched.filter((l) => draft.scope === "exclusive" || l.scope === "exclusive");
}

/** What a request must show for one resource it changes. */
export interface Protected {
  /** The resource's path. */
  path: string;
  /** Also every lock below it (deleting or moving a whole tree). */
  tree: boolean;
}

/** A resource and its folder, whose membership changes when it is made or removed. */
export function selfAndParent(segments: readonly string[]): Protected[] {
  return [
    { path: pathKey(segments), tree: false },
    { path: pathKey(segments.slice(0, -1)), tree: false },
  ];
}

/**
 * The locks blocking a request: for each protected resource, the locks that
 * cover it (one of them must be submitted, by its creator) and, for a tree,
 * each lock below it (each one submitted).
 */
export function blocking(
  live: readonly LockRecord[],
  targets: readonly Protected[],
  submitted: ReadonlySet<string>,
  principal: string,
): LockRecord[] {
  const held = (l: LockRecord) => submitted.has(l.token) && l.principal === principal;
  const out = new Map<string, LockRecord>();
  for (const t of targets) {
    const over = covering(live, t.path);
    if (over.length > 0 && !over.some(held)) { for (const l of over) out.set(l.token, l); }
    if (t.tree) { for (const l of below(live, t.path)) if (!held(l)) out.set(l.token, l); }
  }
  return [...out.values()];
}

/** What an `If` list is checked against: one resource's state. */
export interface ResourceState {
  /** The resource's strong ETag, or null (no such resource, or a folder). */
  etag: string | null;
  /** The live locks covering it. */
  locks: readonly LockRecord[];
}

/**
 * Evaluates an `If` header: true when at least one list holds, each list
 * checked against its tagged resource (or the request URI, key null). A
 * token condition holds when a lock covering that resource has the token;
 * an ETag condition when the resource's ETag matches (weak or strong).
 */
export function evaluateIf(
  lists: readonly IfList[],
  stateOf: (resource: string | null) => ResourceState,
): boolean {
  return lists.some((list) => {
    const state = stateOf(list.resource);
    return list.conditions.every((c) => {
      const ok = c.token !== undefined
        ? state.locks.some((l) => l.token === c.token)
        : state.etag !== null && bare(c.etag!) === bare(state.etag);
      return c.not ? !ok : ok;
    });
  });
}

function bare(etag: string): string {
  return etag.startsWith("W/") ? etag.slice(2) : etag;
}
