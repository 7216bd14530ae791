/**
 * Share links in `netkit http`, as the outermost layer. A request under
 * `/.netkit-share/TOKEN/` is checked (signature, secret, expiry), mapped
 * onto the shared path (never outside it: the path is checked by the jail,
 * and its real location must lie inside the shared folder's), marked with
 * the link's grant, and handed on like any request: the access layer then
 * lets it do what the link allows and nothing more. WebDAV's own methods
 * get 405: a link is for a browser, curl or a script. A bad link gets a 403
 * page that says why. `POST …?share` makes a link for a signed-in user
 * (the listing page's "share" action).
 *
 * @module
 */

import { R, W } from "../core/access/access_rules.ts";
import { isInside } from "../core/library/jail.ts";
import type { Library } from "../core/library/library.ts";
import type { ShareSecrets } from "../core/access/share_secret.ts";
import {
  parseShareDuration,
  SHARE_PREFIX,
  sharePath,
  type ShareRefusal,
  signShare,
  verifyShare,
} from "../core/access/share_token.ts";
import type { Access } from "./access.ts";
import type { Layer, Peer } from "./handler.ts";
import { escapeHtml } from "./listing.ts";
import { reply } from "./plain_text.ts";
import { encodeSegments, parseUrlPath, rawPathOf } from "./url_path.ts";
import { sameOrigin } from "./writes.ts";

/**
 * Methods only WebDAV uses: never through a link, whose holder is anonymous
 * (locks would be shared by every holder) and whose answers would name the
 * library's own paths (multistatus hrefs, lock roots).
 */
const WEBDAV_ONLY = new Set(["PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "COPY", "MOVE"]);

/** What the share layer needs. */
export interface ShareContext {
  library: Library;
  access: Access;
  secrets: ShareSecrets;
  common: [string, string][];
  /** The clock links expire by, ms since the epoch. */
  now: () => number;
}

const WHY: Record<ShareRefusal | "gone", string> = {
  expired: "This link has expired. Ask whoever sent it for a new one.",
  revoked: "This link was revoked: the server's owner withdrew every link made before.",
  altered: "This link is not valid: it was changed or cut short.",
  malformed: "This is not a valid share link.",
  gone: "What this link shared is no longer there.",
};

/** The page for a link that does not work. */
export function refusedPage(why: ShareRefusal | "gone", common: [string, string][]): Response {
  const body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Link not valid · netkit</title>
</head><body><h1>Share link not valid</h1><p id="why" data-why="${why}">${escapeHtml(WHY[why])}</p>
<footer>netkit http</footer></body></html>\n`;
  return new Response(body, {
    status: why === "gone" ? 404 : 403,
    headers: [...common, ["content-type", "text/html; charset=utf-8"], [
      "cache-control",
      "no-store",
    ], [
      "content-security-policy",
      "default-src 'none'",
    ]],
  });
}

/** The share layer; see the module doc. */
export function shareLayer(ctx: ShareContext): Layer {
  const { library, access, common } = ctx;

  /** The deepest existing ancestor of `target` (down from `root`) lies inside `rootReal`. */
  const contained = (rootReal: string, target: string[], from: number): boolean => {
    for (let n = target.length; n >= from; n--) {
      const f = library.tryFind(target.slice(0, n));
      if (f) return isInside(rootReal, f.real);
    }
    return false;
  };

  const follow = (req: Request, peer: Peer | undefined, next: ReturnType<Layer>, raw: string) => {
    const rest = raw.slice(SHARE_PREFIX.length);
    const cut = rest.indexOf("/");
    const token = cut < 0 ? rest : rest.slice(0, cut);
    const claims = verifyShare(token, ctx.secrets.current(), ctx.now());
    if (typeof claims === "string") return refusedPage(claims, common);
    if (WEBDAV_ONLY.has(req.method)) {
      return reply(405, "a share link serves downloads and uploads, not WebDAV", [...common, [
        "allow",
        claims.rights === "r" ? "GET, HEAD" : "GET, HEAD, PUT, PATCH, POST, MKCOL",
      ]]);
    }
    if (cut < 0) {
      return new Response(null, {
        status: 301,
        headers: [...common, ["location", `${SHARE_PREFIX}${token}/`]],
      });
    }
    let tail;
    try {
      tail = parseUrlPath(rest.slice(cut));
    } catch {
      return reply(400, "bad path", common);
    }
    const root = library.tryFind(claims.path);
    if (!root) return refusedPage("gone", common);
    let target: string[];
    if (root.info.isDirectory) target = [...claims.path, ...tail.segments];
    else if (
      tail.segments.length === 0 || (tail.segments.length === 1 && !tail.slash &&
        tail.segments[0] === claims.path.at(-1))
    ) target = claims.path;
    else return reply(404, "not found", common);
    if (!contained(root.real, target, claims.path.length)) {
      return reply(403, "forbidden: outside the shared folder", common);
    }
    const q = req.url.indexOf("?");
    const folder = root.info.isDirectory && tail.slash;
    const url = new URL(req.url);
    const inner = new Request(
      url.origin + encodeSegments(target) + (folder && target.length ? "/" : "") +
        (q < 0 ? "" : req.url.slice(q)),
      req,
    );
    const own = `${SHARE_PREFIX}${token}`;
    access.grant(inner, {
      root: claims.path,
      rights: claims.rights === "r" ? R : W,
      creator: claims.creator,
      mount: `${own}/`,
    });
    const mount = encodeSegments(claims.path).replace(/\/$/, "");
    const back = (res: Response): Response => {
      const loc = res.headers.get("location");
      if (loc === null || !loc.startsWith(mount)) return res;
      const headers = new Headers(res.headers);
      headers.set("location", own + loc.slice(mount.length));
      return new Response(res.body, { status: res.status, headers });
    };
    const res = next(inner, peer);
    return res instanceof Promise ? res.then(back) : back(res);
  };

  const create = async (req: Request, peer: Peer | undefined): Promise<Response> => {
    if (!sameOrigin(req.headers.get("origin"), req.url)) {
      return reply(403, "cross-origin request refused", common);
    }
    const s = await access.gate.subject(req, peer);
    if (s instanceof Response) return s;
    if (s.user === null) return access.gate.unauthorized(req, "sign in as a user to share");
    access.setSubject(req, s);
    let path;
    const form = new URLSearchParams(await req.text().catch(() => ""));
    let expiresMs: number;
    try {
      path = parseUrlPath(rawPathOf(req.url));
      expiresMs = parseShareDuration(form.get("expires") ?? "24h");
    } catch (e) {
      return reply(400, (e as Error).message, common);
    }
    const upload = form.get("upload") === "1";
    const found = library.tryFind(path.segments);
    if (!found) return reply(404, "not found", common);
    const need = upload ? W : R;
    if (!access.can(req, path.segments, need) || (upload && !found.info.isDirectory)) {
      return access.refuse(req, path.segments, need, common);
    }
    const expires = ctx.now() + expiresMs;
    const token = signShare(
      { path: path.segments, rights: upload ? "w" : "r", expires, creator: s.user },
      ctx.secrets.current(),
    );
    const link = new URL(req.url).origin +
      sharePath(token, found.info.isDirectory ? null : path.segments.at(-1)!);
    return new Response(JSON.stringify({ url: link, expires: new Date(expires).toISOString() }), {
      status: 201,
      headers: [...common, ["content-type", "application/json"], ["cache-control", "no-store"]],
    });
  };

  return (next) => (req, peer) => {
    const raw = rawPathOf(req.url);
    if (raw.startsWith(SHARE_PREFIX)) return follow(req, peer, next, raw);
    if (req.method === "POST" && req.url.includes("?share")) return create(req, peer);
    return next(req, peer);
  };
}
