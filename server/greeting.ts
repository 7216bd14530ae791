/**
 * The frames that open a file-service session: the client's HELLO, checked,
 * and the server's WELCOME, which names the hash agreed and the features
 * this server offers. Signing in from the HELLO is in `session_access.ts`.
 *
 * @module
 */

import type { HashName } from "../core/hash/hash.ts";
import { NetkitError } from "../core/errors.ts";
import type { Incoming } from "../protocol/file/frame_stream.ts";
import { encodeMessage, Feature, type Hello } from "../protocol/file/messages.ts";
import type { SessionContext } from "./session_context.ts";

/**
 * Checks that the client's first frame is a HELLO of a version this server speaks.
 *
 * @throws {NetkitError} `BAD_FRAME` for any other frame, `UNSUPPORTED_VERSION`
 */
export function expectHello(m: Incoming): Hello {
  if (m.type !== "HELLO") throw new NetkitError("BAD_FRAME", "expected HELLO");
  if (m.version < 1) {
    throw new NetkitError(
      "UNSUPPORTED_VERSION",
      `protocol version ${m.version} is not supported`,
    );
  }
  return m;
}

/** WELCOME frames already encoded, per server, by version and hash. */
const welcomes = new WeakMap<SessionContext, Map<string, Uint8Array>>();

/**
 * The WELCOME frame for `version` and `hash`, encoded once per server:
 * every handshake would otherwise build the same bytes again.
 */
export function welcomeFrame(ctx: SessionContext, version: number, hash: HashName): Uint8Array {
  let known = welcomes.get(ctx);
  if (!known) welcomes.set(ctx, known = new Map());
  const key = `${version} ${hash}`;
  let frame = known.get(key);
  if (!frame) {
    const { options, signIn } = ctx;
    let features = Feature.LIST | Feature.GET | Feature.GET_RESUME | Feature.RESUME_CHECK;
    features |= options.readOnly
      ? Feature.READ_ONLY
      : Feature.PUT | Feature.PUT_RESUME | Feature.CANCEL;
    if (options.tls) features |= Feature.TLS;
    if (signIn.configured) features |= Feature.AUTH;
    if (options.users !== null) features |= Feature.USERS;
    frame = encodeMessage({
      type: "WELCOME",
      version,
      features,
      maxFrame: options.maxFrame,
      maxUpload: options.maxUpload,
      idleTimeoutMs: options.idleTimeoutMs,
      hash,
      server: "netkit",
    });
    known.set(key, frame);
  }
  return frame;
}
