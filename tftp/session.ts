/**
 * One server-side TFTP transfer, from a decoded RRQ or WRQ to the end: the
 * jail check, option negotiation, and the read or the atomic write. Runs on
 * its own fresh UDP socket (a new transfer ID), so a slow or hostile client
 * only ever holds its own transfer.
 *
 * @module
 */

import { type AccessRules, anonymous, D, R, W } from "../core/access/access_rules.ts";
import { NetkitError } from "../core/errors.ts";
import { encodePacket, type RequestPacket } from "../protocol/tftp/packet.ts";
import { negotiate, type ServerLimits } from "../protocol/tftp/options.ts";
import { resolveName } from "../core/library/jail.ts";
import type { Library } from "../core/library/library.ts";
import { BlockSink, BlockSource } from "./blocks.ts";
import type { Channel } from "./channel.ts";
import {
  receiveBlocks,
  sendBlocks,
  sendOack,
  type TransferResult,
  type TransferTuning,
} from "./transfer.ts";

/** What a session needs from its server. */
export interface SessionContext extends ServerLimits {
  /** The library served. */
  library: Library;
  /** Accept WRQ at all. */
  allowWrite: boolean;
  /** Let a WRQ replace an existing file. */
  overwrite: boolean;
  /** Which client addresses may read and write (`@NET` rules: TFTP has no users). */
  rules: AccessRules;
  /** Local retransmission timeout, unless the client negotiates one. */
  timeoutMs: number;
  /** Retransmissions before giving up. */
  retries: number;
  /** Ends the session when the server shuts down. */
  signal: AbortSignal;
}

/**
 * Runs one transfer on `ch` (whose peer is the requester). Failures are sent
 * to the peer as an ERROR and re-thrown for the log.
 */
export async function runSession(
  ch: Channel,
  req: RequestPacket,
  ctx: SessionContext,
  client: string,
): Promise<TransferResult> {
  try {
    if (req.mode === "mail") {
      throw new NetkitError("BAD_FRAME", "mail mode is not supported");
    }
    // TFTP clients often send "/name" meaning the served root: accept that.
    const segments = resolveName(req.filename.replace(/^\/+/, ""), {
      subdirs: true,
    });
    const need = req.op === "RRQ"
      ? R
      : ctx.overwrite && ctx.library.tryFind(segments) !== null
      ? W | D
      : W;
    if (ctx.allowWrite || need === R) permit(ctx, client, segments, need);
    return req.op === "RRQ"
      ? await serveRead(ch, req, segments, ctx)
      : await serveWrite(ch, req, segments, ctx);
  } catch (e) {
    await ch.sendFailure(e);
    throw e;
  }
}

function tuning(
  params: { blksize: number; windowsize: number; timeoutMs: number | null },
  ctx: SessionContext,
): TransferTuning {
  return {
    blksize: params.blksize,
    windowsize: params.windowsize,
    timeoutMs: params.timeoutMs ?? ctx.timeoutMs,
    retries: ctx.retries,
    signal: ctx.signal,
  };
}

async function serveRead(
  ch: Channel,
  req: RequestPacket,
  segments: string[],
  ctx: SessionContext,
): Promise<TransferResult> {
  const { file, info } = ctx.library.openRead(segments);
  try {
    const { reply, params } = negotiate(req.options, {
      kind: "read",
      mode: req.mode,
      fileSize: info.size,
    }, ctx);
    const t = tuning(params, ctx);
    if (reply.size > 0) {
      await sendOack(ch, encodePacket({ op: "OACK", options: reply }), t);
    }
    const src = new BlockSource(file, t.blksize, req.mode === "netascii");
    return await sendBlocks(ch, src, t);
  } finally {
    file.close();
  }
}

async function serveWrite(
  ch: Channel,
  req: RequestPacket,
  segments: string[],
  ctx: SessionContext,
): Promise<TransferResult> {
  if (!ctx.allowWrite) {
    throw new NetkitError("READ_ONLY", "writes are disabled on this server");
  }
  await using out = await ctx.library.beginUpload(segments, { overwrite: ctx.overwrite });
  const { reply, params } = negotiate(req.options, {
    kind: "write",
    mode: req.mode,
  }, ctx);
  const t = tuning(params, ctx);
  const sink = new BlockSink({
    write: async (p) => (await out.write(p), p.length),
  }, req.mode === "netascii");
  const resend = reply.size > 0
    ? encodePacket({ op: "OACK", options: reply })
    : encodePacket({ op: "ACK", block: 0 });
  await ch.send(resend);
  return await receiveBlocks(ch, sink, t, {
    resend,
    maxBytes: ctx.maxWriteSize,
    finish: async () => void await out.commit(),
    dally: true,
  });
}

function permit(ctx: SessionContext, client: string, segments: string[], need: number): void {
  if (ctx.rules.can(anonymous(client), segments, need)) return;
  const what = need === R ? "read" : need === W ? "write" : "replace";
  throw new NetkitError("FORBIDDEN", `${client} may not ${what} ${segments.join("/")}`);
}
