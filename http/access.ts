/**
 * Who may do what in `netkit http`, as a layer: each request's subject is
 * found (`credentials.ts`), its method mapped to the permission it needs,
 * and the one rule engine (`core/access/access_rules.ts`) asked; a refusal is 401
 * when signing in could help, else 403. What passes carries its subject to
 * the layers inside, which ask {@linkcode Access} again to filter listings
 * and archives. A share link's grant (`share.ts`) stands in for the rules
 * on the requests it covers.
 *
 * @module
 */

import {
  type AccessRules,
  anonymous,
  D,
  METHOD_NEEDS,
  R,
  type Subject,
  W,
} from "../core/access/access_rules.ts";
import type { Library } from "../core/library/library.ts";
import type { CredentialGate } from "./credentials.ts";
import type { Layer, Peer } from "./handler.ts";
import type { ListingEntry } from "./listing.ts";
import { reply } from "./plain_text.ts";
import { isUploadCancel } from "./upload.ts";
import { encodeSegments, rawPathOf, urlPathOf } from "./url_path.ts";

/** What a share link grants: `rights` at and below `root`. */
export interface ShareGrant {
  /** The shared path. */
  readonly root: readonly string[];
  /** Permission bits. */
  readonly rights: number;
  /** Who made the link (its rights end with theirs), or null for the server's owner. */
  readonly creator: string | null;
  /** The link's own URL path, ending in `/`: where its pages' crumbs start. */
  readonly mount: string;
}

const VERBS: Record<number, string> = {
  [R]: "read",
  [W]: "write",
  [W | D]: "replace",
  [D]: "delete",
};

function within(root: readonly string[], segments: readonly string[]): boolean {
  if (segments.length < root.length) return false;
  for (let i = 0; i < root.length; i++) if (root[i] !== segments[i]) return false;
  return true;
}

/** The subject a link's creator is: its grant never exceeds their rights. */
function creatorOf(g: ShareGrant): Subject {
  return { user: g.creator, signedIn: true, address: "" };
}

// What each request was found to be rides on the request itself: a WeakMap
// keyed by tens of thousands of short-lived requests a second made every
// young-generation GC pay for its entries.
const SUBJECT = Symbol("netkit.subject");
const GRANT = Symbol("netkit.grant");
type Marked = Request & { [SUBJECT]?: Subject; [GRANT]?: ShareGrant };

/** The rules, the gate, and what each request was found to be. */
export class Access {
  /** The rule set in force (the one built from the switches when none was given). */
  readonly rules: AccessRules;
  /** Finds each request's subject. */
  readonly gate: CredentialGate;

  constructor(rules: AccessRules, gate: CredentialGate) {
    this.rules = rules;
    this.gate = gate;
  }

  /** The subject a request was found to be (anonymous when it was never asked). */
  subjectOf(req: Request): Subject {
    return (req as Marked)[SUBJECT] ?? anonymous();
  }

  /** Records the subject of `req`. */
  setSubject(req: Request, s: Subject): void {
    (req as Marked)[SUBJECT] = s;
  }

  /** Marks `req` as made through a share link. */
  grant(req: Request, g: ShareGrant): void {
    (req as Marked)[GRANT] = g;
  }

  /** The share grant of `req`, if it came through a link. */
  grantOf(req: Request): ShareGrant | undefined {
    return (req as Marked)[GRANT];
  }

  /** The permission bits the sender of `req` holds at `segments`. */
  perms(req: Request, segments: readonly string[]): number {
    const g = (req as Marked)[GRANT];
    if (g === undefined) return this.rules.perms(this.subjectOf(req), segments);
    if (!within(g.root, segments)) return 0;
    if (g.creator === null) return g.rights;
    return g.rights & this.rules.perms(creatorOf(g), segments);
  }

  /** True when the sender of `req` holds every bit of `need` at `segments`. */
  can(req: Request, segments: readonly string[], need: number): boolean {
    return (this.perms(req, segments) & need) === need;
  }

  /** True when the sender of `req` holds every bit of `need` at `segments` and everywhere below. */
  canTree(req: Request, segments: readonly string[], need: number): boolean {
    const g = (req as Marked)[GRANT];
    if (g === undefined) return this.rules.canTree(this.subjectOf(req), segments, need);
    if (!within(g.root, segments) || (g.rights & need) !== need) return false;
    return g.creator === null || this.rules.canTree(creatorOf(g), segments, need);
  }

  /** True when a listing or archive shows `segments` to the sender of `req`. */
  visible(req: Request, segments: readonly string[], dir: boolean): boolean {
    if ((this.perms(req, segments) & R) !== 0) return true;
    if (!dir || (req as Marked)[GRANT] !== undefined) return false;
    return this.rules.reachable(this.subjectOf(req), segments);
  }

  /**
   * The entries of the folder at `segments` a listing shows: none in a drop
   * box (a folder that can be written but not read), else the visible ones.
   */
  filter(req: Request, segments: readonly string[], entries: ListingEntry[]): ListingEntry[] {
    if (!this.can(req, segments, R)) return [];
    return entries.filter((e) => this.visible(req, [...segments, e.name], e.dir));
  }

  /**
   * The answer when the sender of `req` lacks `need` at `segments` (with
   * `tree`, at `segments` or somewhere below it): 401 if signing in could
   * help, else 403.
   */
  refuse(
    req: Request,
    segments: readonly string[],
    need: number,
    common: [string, string][],
    tree = false,
  ): Response {
    const s = this.subjectOf(req);
    const why = tree
      ? this.rules.refusalTree(s, segments, need)
      : this.rules.refusal(s, segments, need);
    // Through a share link, credentials are never read: signing in cannot help.
    if ((req as Marked)[GRANT] === undefined && why === "sign-in") {
      return this.gate.unauthorized(req);
    }
    return reply(403, `forbidden: you may not ${VERBS[need] ?? "do that"} here`, common);
  }
}

/** Methods that may act on a whole tree: signing in must help all through it for a 401. */
const TREE_METHODS = new Set(["DELETE", "MOVE", "COPY", "LOCK"]);

/** What the access layer needs besides {@linkcode Access}. */
export interface AccessLayerContext {
  library: Library;
  /** Uploads may replace files (then `d` is needed as well as `w`). */
  overwrite: boolean;
  /** The methods switched on; others pass to the handler inside (for its 405). */
  methods: ReadonlySet<string>;
  common: [string, string][];
}

/**
 * The access layer: every method with a permission (GET, HEAD, PUT, PATCH,
 * MKCOL, DELETE, and WebDAV's) passes only with it; `?login` asks the
 * browser to sign in. Other methods (OPTIONS) pass to the handler inside.
 */
export function accessLayer(access: Access, ctx: AccessLayerContext): Layer {
  const { library, common } = ctx;

  const decide = (
    req: Request,
    peer: Peer | undefined,
    s: Subject,
    need: number,
    next: ReturnType<Layer>,
  ) => {
    access.setSubject(req, s);
    const path = urlPathOf(rawPathOf(req.url));
    if (path === null) return next(req, peer); // the handler inside answers 400
    const { segments } = path;
    if (req.url.includes("login") && new URL(req.url).searchParams.has("login")) {
      if (!s.signedIn) return access.gate.unauthorized(req); // a navigation: the browser's prompt
      return new Response(null, {
        status: 303,
        headers: [...common, [
          "location",
          encodeSegments(segments) + (path.slash && segments.length ? "/" : ""),
        ]],
      });
    }
    const perms = access.perms(req, segments);
    if ((perms & need) === need) {
      const replaces = req.method === "PUT" || req.method === "PATCH";
      if (need !== W || !ctx.overwrite || (perms & D) || !replaces) {
        return next(req, peer);
      }
      // Replacing a file takes it away from its readers: `d` too.
      if (library.tryFind(segments) === null) return next(req, peer);
      return access.refuse(req, segments, W | D, common);
    }
    // A drop box: a folder that can be written to lists (empty) so its page can upload.
    if (need === R && (perms & W) && !req.url.includes("archive=")) {
      if (library.tryFind(segments)?.info.isDirectory) return next(req, peer);
    }
    return access.refuse(req, segments, need, common, TREE_METHODS.has(req.method));
  };

  return (next) => (req, peer) => {
    // Cancelling one's own resumable upload is part of uploading: `w`, not `d`.
    const method = isUploadCancel(req) ? "PUT" : req.method;
    const need = METHOD_NEEDS[method];
    if (need === undefined || !ctx.methods.has(method)) return next(req, peer);
    const s = access.grantOf(req) ? access.gate.anonymous(peer) : access.gate.subject(req, peer);
    if (s instanceof Response) return s;
    if (s instanceof Promise) {
      return s.then((x) => x instanceof Response ? x : decide(req, peer, x, need, next));
    }
    return decide(req, peer, s, need, next);
  };
}
