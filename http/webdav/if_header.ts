/**
 * The WebDAV `If` header (RFC 4918 section 10.4), parsed: untagged lists
 * (about the request URI) or tagged lists (each about the resource named in
 * its tag), each list a conjunction of conditions: a state token
 * (`<urn:uuid:...>`) or an entity tag (`["etag"]`), either maybe negated
 * with `Not`. Pure; evaluation lives in `lock_rules.ts`.
 *
 * @module
 */

/** One condition of a list. */
export interface IfCondition {
  /** True for `Not`. */
  not: boolean;
  /** A state token (a lock token, or anything else, such as `DAV:no-lock`). */
  token?: string;
  /** An entity tag, quoted as sent (`"..."` or `W/"..."`). */
  etag?: string;
}

/** One parenthesised list, and the resource it is about (null: the request URI). */
export interface IfList {
  resource: string | null;
  conditions: IfCondition[];
}

/** Longest `If` header accepted, in characters. */
export const MAX_IF_LENGTH = 16 * 1024;

/**
 * Parses an `If` header value.
 *
 * @returns the lists, or null when the header is malformed (the request
 *   then fails with 400)
 * @example
 * ```ts
 * import { parseIfHeader } from "./if_header.ts";
 * parseIfHeader('(<urn:uuid:x> ["e1"]) (Not <DAV:no-lock>)');
 * // [{ resource: null, conditions: [{ not: false, token: "urn:uuid:x" }, { not: false, etag: '"e1"' }] },
 * //  { resource: null, conditions: [{ not: true, token: "DAV:no-lock" }] }]
 * ```
 */
export function parseIfHeader(value: string): IfList[] | null {
  if (value.length > MAX_IF_LENGTH) return null;
  const lists: IfList[] = [];
  let i = 0;
  let resource: string | null = null;
  let tagged: boolean | null = null;
  const ws = () => {
    while (i < value.length && (value[i] === " " || value[i] === "\t")) i++;
  };
  const upTo = (close: string): string | null => {
    const end = value.indexOf(close, i);
    if (end < 0) return null;
    const inner = value.slice(i, end);
    i = end + 1;
    return inner;
  };
  while (true) {
    ws();
    if (i >= value.length) break;
    if (value[i] === "<") {
      if (tagged === false) return null; // tagged and untagged lists do not mix
      tagged = true;
      i++;
      const tag = upTo(">");
      if (tag === null || tag === "") return null;
      resource = tag;
      ws();
      if (value[i] !== "(") return null; // a tag needs at least one list
      continue;
    }
    if (value[i] !== "(") return null;
    if (tagged === null) tagged = false;
    i++;
    const conditions: IfCondition[] = [];
    while (true) {
      ws();
      if (value[i] === ")") {
        i++;
        break;
      }
      let not = false;
      if (value.slice(i, i + 3).toLowerCase() === "not") {
        not = true;
        i += 3;
        ws();
      }
      if (value[i] === "<") {
        i++;
        const token = upTo(">");
        if (token === null || token === "") return null;
        conditions.push({ not, token });
      } else if (value[i] === "[") {
        i++;
        const etag = upTo("]");
        if (etag === null || etag.trim() === "") return null;
        conditions.push({ not, etag: etag.trim() });
      } else {
        return null;
      }
    }
    if (conditions.length === 0) return null;
    lists.push({ resource: tagged ? resource : null, conditions });
  }
  return lists.length > 0 ? lists : null;
}

/** The state tokens a client submits through the header (those not negated). */
export function submittedTokens(lists: readonly IfList[]): Set<string> {
  const tokens = new Set<string>();
  for (const l of lists) {
    for (const c of l.conditions) if (!c.not && c.token !== undefined) tokens.add(c.token);
  }
  return tokens;
}
