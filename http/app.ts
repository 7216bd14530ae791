/**
 * The whole handler of `netkit http`, composed from the outside: the static
 * file handler at the centre, wrapped by the write methods, folder archives
 * and the access layer (who may do what, where); the browser's listing page
 * is handed to the static handler as its renderer. Each piece is a plain
 * `Request -> Response` function or a layer around one.
 *
 * @module
 */

import { D, R, W } from "../core/access/access_rules.ts";
import { Library } from "../core/library/library.ts";
import { isInside } from "../core/library/jail.ts";
import { SignIn } from "../core/access/sign_in.ts";
import { UserFile } from "../core/access/users.ts";
import { Access, accessLayer } from "./access.ts";
import { archiveLayer } from "./archive.ts";
import { CredentialGate } from "./credentials.ts";
import type { Handler, Layer } from "./handler.ts";
import { renderPage } from "./listing_page.ts";
import type { StaticOptions } from "./options.ts";
import { commonHeaders, createStaticHandler, type StaticHandler } from "./static.ts";
import { writesLayer } from "./writes.ts";
import { webdavLayer } from "./webdav/layer.ts";
import { accessPolicy, davMethods } from "./webdav/policy.ts";
import { shareLayer } from "./share.ts";
import { ShareSecrets } from "../core/access/share_secret.ts";
import { accessRulesOf, writeMethods } from "./web_options.ts";
import type { ServiceMetrics } from "../core/ops/service_metrics.ts";

/** The composed handler and what it holds. */
export interface HttpHandler extends StaticHandler {
  /** The library served. */
  readonly library: Library;
  /** The accounts of `--users`, when given (tests wait for its reloads). */
  readonly users: UserFile | null;
}

/**
 * Builds the handler for `options.root` (checked and made canonical now),
 * counting uploads into `metrics` when given.
 *
 * @throws {NetkitError} `NOT_FOUND` when the root is missing or not a folder
 * @throws {Error} for a users file that cannot be read or holds a bad entry
 */
export async function createHttpHandler(
  options: StaticOptions,
  metrics: ServiceMetrics | null = null,
): Promise<HttpHandler> {
  const library = await Library.open(options.root, {
    hidden: options.hidden,
    followSymlinks: options.followSymlinks,
    now: options.clock,
  });
  const users = options.users ? await UserFile.open(options.users) : null;
  const signIn = await SignIn.open({
    auth: options.auth,
    token: options.token,
    users,
    throttle: options.authThrottle,
  });
  const common = commonHeaders(options);
  const rules = accessRulesOf(options);
  const access = new Access(rules, new CredentialGate(signIn, common, rules.usesNets));
  const explicit = (options.allow?.length ?? 0) > 0;
  const methods = writeMethods(options);
  // Replacing a file takes it away: `d` as well as `w`, with --overwrite, and
  // under rules through WebDAV (whose PUT, COPY and MOVE replace by default).
  const replaceNeedsDelete = (options.overwrite ?? false) || (explicit && !!options.webdav);
  // WebDAV's methods, when it is on: switched on by the same switches and rules.
  const dav = options.webdav ? davMethods(methods) : new Set<string>();
  const archives = options.archive ?? true;
  const files = createStaticHandler(library, {
    ...options,
    common,
    filterListing: (req, segments, entries) => access.filter(req, segments, entries),
    renderListing: (req, urlPath, entries) => {
      const segments = urlPath.split("/").filter((s) => s !== "");
      const subject = access.subjectOf(req);
      const grant = access.grantOf(req);
      const readable = access.can(req, segments, R);
      // An action is offered to who may do it, and to a visitor whom signing in could let.
      const offered = (need: number) =>
        access.can(req, segments, need) ||
        (!grant && !subject.signedIn && rules.refusal(subject, segments, need) === "sign-in");
      const writable = methods.has("PUT") && offered(W);
      // Links are made by named users, for what they may read.
      const share = subject.user !== null && !grant
        ? new Set(
          entries.filter((e) => access.can(req, [...segments, e.name], R)).map((e) => e.name),
        )
        : undefined;
      return renderPage(urlPath, entries, {
        search: new URL(req.url).search,
        upload: writable,
        auth: access.gate.schemes,
        archives: archives && readable,
        dropBox: !readable,
        signIn: access.gate.configured && !subject.signedIn && !grant,
        share,
        base: grant && { href: grant.mount, depth: grant.root.length },
        mkdir: methods.has("MKCOL") && offered(W),
        move: dav.has("MOVE") && offered(W) && offered(D),
      });
    },
  });
  const write = {
    library,
    // With rules, `w` is also the right to make folders.
    options: { ...options, mkdir: options.mkdir || (explicit && rules.grants(W)) },
    common,
    stallMs: options.stallTimeout ?? 60_000,
    metrics,
  };
  const layers: Layer[] = [shareLayer({
    library,
    access,
    secrets: new ShareSecrets(library.root),
    common,
    now: options.clock ?? Date.now,
  })];
  // With no credential, no rule and no write, everyone may read everything:
  // nothing to decide per request.
  if (signIn.configured || explicit || methods.size > 0) {
    layers.push(accessLayer(access, {
      library,
      overwrite: replaceNeedsDelete,
      methods: new Set(["GET", "HEAD", ...methods, ...dav]),
      common,
    }));
  }
  const policy = accessPolicy(access, { methods: [...dav], common, replaceNeedsDelete });
  if (options.webdav) {
    layers.push(webdavLayer({
      library,
      common,
      writes: write,
      policy,
      macFiles: options.macosFiles ?? "refuse",
      maxLockSeconds: options.maxLockSeconds ?? 3600,
      maxXmlBytes: 1 << 20,
    }));
  }
  if (archives) {
    layers.push(archiveLayer(library, common, (req) => {
      // Through a link, a symlink must not carry the archive outside the shared folder.
      const grant = access.grantOf(req);
      const root = grant ? library.tryFind(grant.root) : null;
      return (segments, dir) => {
        if (!access.visible(req, segments, dir)) return false;
        if (!grant) return true;
        const found = library.tryFind(segments);
        return root !== null && found !== null && isInside(root.real, found.real);
      };
    }));
  }
  layers.push(writesLayer(write, policy.principalOf));
  const handle: Handler = layers.reduceRight((next, layer) => layer(next), files.handle);
  return {
    ...files,
    handle,
    library,
    users,
    close() {
      files.close();
      signIn.close();
      users?.close();
    },
  };
}
