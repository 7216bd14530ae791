/**
 * The whole handler of `netkit http`, composed from the outside: the static
 * file handler at the centre, wrapped by the write methods, folder archives
 * and, when reads need credentials too, a credential check; the browser's
 * listing page is handed to the static handler as its renderer. Each piece
 * is a plain `Request -> Response` function or a layer around one.
 *
 * @module
 */

import { Library } from "../core/library.ts";
import { archiveLayer } from "./archive.ts";
import { CredentialGate } from "./credentials.ts";
import { addressOf, type Handler, type Layer } from "./handler.ts";
import { renderPage } from "./listing_page.ts";
import type { StaticOptions } from "./options.ts";
import { commonHeaders, createStaticHandler, type StaticHandler } from "./static.ts";
import { writesLayer } from "./writes.ts";
import type { ServiceMetrics } from "../core/service_metrics.ts";

/** The composed handler and what it holds. */
export interface HttpHandler extends StaticHandler {
  /** The library served. */
  readonly library: Library;
}

/** Reads need credentials (`--auth-read`): GET and HEAD pass only with them. */
function readCredentials(gate: CredentialGate): Layer {
  return (next) => (req, peer) => {
    if (req.method !== "GET" && req.method !== "HEAD") return next(req, peer);
    return gate.guard(req, addressOf(peer), () => next(req, peer));
  };
}

/**
 * Builds the handler for `options.root` (checked and made canonical now),
 * counting uploads into `metrics` when given.
 *
 * @throws {NetkitError} `NOT_FOUND` when the root is missing or not a folder
 */
export async function createHttpHandler(
  options: StaticOptions,
  metrics: ServiceMetrics | null = null,
): Promise<HttpHandler> {
  const library = await Library.open(options.root, {
    hidden: options.hidden,
    followSymlinks: options.followSymlinks,
  });
  const common = commonHeaders(options);
  const gate = new CredentialGate(options, common);
  const archives = options.archive ?? true;
  const files = createStaticHandler(library, {
    ...options,
    common,
    renderListing: (req, urlPath, entries) =>
      renderPage(urlPath, entries, {
        search: new URL(req.url).search,
        upload: options.upload ?? false,
        auth: gate.schemes,
        archives,
      }),
  });
  const layers: Layer[] = [];
  if ((options.authRead ?? false) && gate.configured) layers.push(readCredentials(gate));
  if (archives) layers.push(archiveLayer(library, common));
  layers.push(
    writesLayer(
      { library, options, common, stallMs: options.stallTimeout ?? 60_000, metrics },
      gate,
    ),
  );
  const handle: Handler = layers.reduceRight((next, layer) => layer(next), files.handle);
  return { ...files, handle, library };
}
