/**
 * Who may do what, where: the one rule engine of every service. A rule
 * `PATH:PERMS:WHO` grants PERMS (`r` list, read, download archives; `w`
 * upload, create folders; `d` delete, move away) under PATH to WHO (a comma
 * list of user names, `*` for anyone signed in, `-` for everyone, signed in
 * or not, and `@NET` for a client address range). The longest rule path that
 * is a prefix of the request's path decides, with all its rules together: a
 * subject that none of them names gets nothing there, whatever shorter paths
 * grant. No rule, no access. Pure: the services ask, this answers.
 *
 * @example
 * ```ts
 * import { AccessRules, R, W } from "./access_rules.ts";
 * const rules = AccessRules.parse(["/:r:-", "/uploads:rw:alice", "/drop:w:-"]);
 * const anon = { user: null, signedIn: false, address: "192.0.2.7" };
 * rules.can(anon, ["readme.txt"], R); // true
 * rules.can(anon, ["drop", "x.bin"], W); // true
 * rules.can(anon, ["drop", "x.bin"], R); // false
 * ```
 *
 * @module
 */

import { inRange, type NetRange, parseNetRange } from "../net/net_range.ts";

/** Permission bits. */
export const R = 1;
/** Upload, create folders (replacing a file also needs {@linkcode D}). */
export const W = 2;
/** Delete, move away. */
export const D = 4;

/** Who asks. */
export interface Subject {
  /** The signed-in user's name; null for anonymous or a bare token. */
  readonly user: string | null;
  /** True for a user or the holder of the server's token. */
  readonly signedIn: boolean;
  /** The client's address, for `@NET` rules; "" when unknown. */
  readonly address: string;
}

/** An anonymous subject at `address`. */
export function anonymous(address = ""): Subject {
  return { user: null, signedIn: false, address };
}

type Who =
  | { kind: "everyone" }
  | { kind: "signed-in" }
  | { kind: "user"; name: string }
  | { kind: "net"; range: NetRange };

/** One parsed rule. */
export interface Rule {
  /** As written, for messages. */
  readonly text: string;
  readonly path: readonly string[];
  readonly perms: number;
  readonly who: readonly Who[];
}

/**
 * Parses `PATH:PERMS:WHO`. PATH runs to the first `:` (so it holds none),
 * PERMS to the second; WHO is the rest (an IPv6 range has colons).
 *
 * @throws {RangeError} saying what is wrong
 */
export function parseRule(text: string): Rule {
  const a = text.indexOf(":");
  const b = a < 0 ? -1 : text.indexOf(":", a + 1);
  if (b < 0) throw new RangeError(`'${text}': expected PATH:PERMS:WHO`);
  const pathText = text.slice(0, a);
  const permText = text.slice(a + 1, b);
  const whoText = text.slice(b + 1);
  if (!pathText.startsWith("/")) throw new RangeError(`'${text}': the path must start with /`);
  const path = pathText.split("/").filter((s) => s !== "");
  if (path.some((s) => s === "." || s === ".." || s.includes("\\"))) {
    throw new RangeError(`'${text}': the path may not hold '.', '..' or '\\'`);
  }
  if (!/^(-|[rwd]*)$/.test(permText)) {
    throw new RangeError(`'${text}': PERMS are letters of r, w, d (or - for none)`);
  }
  let perms = 0;
  for (const c of permText) perms |= c === "r" ? R : c === "w" ? W : c === "d" ? D : 0;
  if (whoText === "") throw new RangeError(`'${text}': WHO is empty (use - for everyone)`);
  const who = whoText.split(",").map((w): Who => {
    const item = w.trim();
    if (item === "-") return { kind: "everyone" };
    if (item === "*") return { kind: "signed-in" };
    if (item.startsWith("@")) return { kind: "net", range: parseNetRange(item.slice(1)) };
    if (item === "" || /\s/.test(item)) throw new RangeError(`'${text}': bad name '${item}'`);
    return { kind: "user", name: item };
  });
  return { text, path, perms, who };
}

function names(who: Who, s: Subject): boolean {
  switch (who.kind) {
    case "everyone":
      return true;
    case "signed-in":
      return s.signedIn;
    case "user":
      return s.user === who.name;
    case "net":
      return inRange(who.range, s.address);
  }
}

interface Node {
  readonly children: Map<string, Node>;
  /** The rules for exactly this path; null when none. */
  rules: Rule[] | null;
  /** Every rule at or below this path. */
  readonly subtree: Rule[];
}

const node = (): Node => ({ children: new Map(), rules: null, subtree: [] });

/** The permission bits a method needs on its target (MOVE and COPY: on the source). */
export const METHOD_NEEDS: Readonly<Record<string, number>> = {
  GET: R,
  HEAD: R,
  PROPFIND: R,
  COPY: R,
  PUT: W,
  PATCH: W,
  POST: W,
  MKCOL: W,
  PROPPATCH: W,
  LOCK: W,
  UNLOCK: W,
  DELETE: D,
  MOVE: D,
};

/** A rule set, ready to answer. */
export class AccessRules {
  /** The rules, in the order given. */
  readonly rules: readonly Rule[];
  readonly #root = node();

  constructor(rules: readonly Rule[]) {
    this.rules = rules;
    for (const r of rules) {
      let n = this.#root;
      n.subtree.push(r);
      for (const s of r.path) {
        let next = n.children.get(s);
        if (!next) n.children.set(s, next = node());
        n = next;
        n.subtree.push(r);
      }
      (n.rules ??= []).push(r);
    }
  }

  /**
   * Parses rules as given on the command line.
   *
   * @throws {RangeError} for the first bad one
   */
  static parse(texts: readonly string[]): AccessRules {
    return new AccessRules(texts.map(parseRule));
  }

  /** The rules that decide for `segments`: those of the longest matching path. */
  #deciding(segments: readonly string[]): Rule[] | null {
    let n: Node | undefined = this.#root;
    let best = n.rules;
    for (let i = 0; i < segments.length; i++) {
      n = n.children.get(segments[i]);
      if (n === undefined) break;
      if (n.rules !== null) best = n.rules;
    }
    return best;
  }

  /** The permission bits `s` holds at `segments`. */
  perms(s: Subject, segments: readonly string[]): number {
    const rules = this.#deciding(segments);
    if (rules === null) return 0;
    let p = 0;
    for (const r of rules) if (r.who.some((w) => names(w, s))) p |= r.perms;
    return p;
  }

  /** True when `s` holds every bit of `need` at `segments`. */
  can(s: Subject, segments: readonly string[], need: number): boolean {
    return (this.perms(s, segments) & need) === need;
  }

  /**
   * True when `s` holds every bit of `need` at `segments` and everywhere
   * below it: what a folder's DELETE, MOVE or COPY does to all it holds.
   * Only a deeper rule's path can decide differently, so only those are asked.
   */
  canTree(s: Subject, segments: readonly string[], need: number): boolean {
    if (!this.can(s, segments, need)) return false;
    const n = this.#node(segments);
    return n === undefined ||
      n.subtree.every((r) => r.path.length <= segments.length || this.can(s, r.path, need));
  }

  /** The node of `segments` in the rule tree, if a rule lies at or below it. */
  #node(segments: readonly string[]): Node | undefined {
    let n: Node | undefined = this.#root;
    for (let i = 0; i < segments.length && n; i++) n = n.children.get(segments[i]);
    return n;
  }

  /** MOVE: `d` on the source and `w` on the destination. */
  canMove(s: Subject, from: readonly string[], to: readonly string[]): boolean {
    return this.can(s, from, D) && this.can(s, to, W);
  }

  /** COPY: `r` on the source and `w` on the destination. */
  canCopy(s: Subject, from: readonly string[], to: readonly string[]): boolean {
    return this.can(s, from, R) && this.can(s, to, W);
  }

  /**
   * True when `s` may do anything at or below `segments`: a folder worth
   * showing and entering even when it cannot be read (a drop box, or the way
   * to a readable folder further down).
   */
  reachable(s: Subject, segments: readonly string[]): boolean {
    if (this.perms(s, segments) !== 0) return true;
    const n = this.#node(segments);
    if (!n) return false;
    return n.subtree.some((r) =>
      r.path.length > segments.length && r.perms !== 0 &&
      r.who.some((w) => names(w, s)) && this.perms(s, r.path) !== 0
    );
  }

  /** True when a listing shows the entry at `segments` to `s`: readable, or a folder with a way in. */
  visible(s: Subject, segments: readonly string[], dir: boolean): boolean {
    return (this.perms(s, segments) & R) !== 0 || (dir && this.reachable(s, segments));
  }

  /**
   * Why `s` is refused `need` at `segments`: "sign-in" when `s` is anonymous
   * and a rule there grants it to someone signed in (so 401 with a
   * challenge), else "forbidden".
   */
  refusal(s: Subject, segments: readonly string[], need: number): "sign-in" | "forbidden" {
    if (s.signedIn) return "forbidden";
    const rules = this.#deciding(segments) ?? [];
    const signedIn = rules.some((r) =>
      (r.perms & need) === need && r.who.some((w) => w.kind === "signed-in" || w.kind === "user")
    );
    return signedIn ? "sign-in" : "forbidden";
  }

  /**
   * Why `s` may not do `need` at `segments` and everywhere below it: "sign-in"
   * only when signing in could help at every path where it is refused (a
   * deeper rule that refuses everyone makes the whole tree "forbidden").
   */
  refusalTree(s: Subject, segments: readonly string[], need: number): "sign-in" | "forbidden" {
    if (s.signedIn) return "forbidden";
    const below = (this.#node(segments)?.subtree ?? [])
      .map((r) => r.path)
      .filter((p) => p.length > segments.length);
    const refused = [segments, ...below].filter((p) => !this.can(s, p, need));
    return refused.every((p) => this.refusal(s, p, need) === "sign-in") ? "sign-in" : "forbidden";
  }

  /** True when some rule grants any of the bits of `perm`. */
  grants(perm: number): boolean {
    return this.rules.some((r) => (r.perms & perm) !== 0);
  }

  /** True when some rule names an address range (`@NET`): subjects need their address. */
  get usesNets(): boolean {
    return this.rules.some((r) => r.who.some((w) => w.kind === "net"));
  }

  /** True when some rule names signed-in users (`*` or a name). */
  wantsSignIn(): boolean {
    return this.rules.some((r) => r.who.some((w) => w.kind === "signed-in" || w.kind === "user"));
  }

  /** The rules that let people write or delete without signing in (for the start-up warning). */
  anonymousWrites(): Rule[] {
    return this.rules.filter((r) =>
      (r.perms & (W | D)) !== 0 && r.who.some((w) => w.kind === "everyone" || w.kind === "net")
    );
  }

  /** The user names the rules mention. */
  userNames(): Set<string> {
    return new Set(
      this.rules.flatMap((r) => r.who.flatMap((w) => w.kind === "user" ? [w.name] : [])),
    );
  }
}
