/**
 * LIST on the file service: the library's files the client may read, sent
 * in batches of LIST_ENTRIES frames.
 *
 * @module
 */

import { R, type Subject } from "../core/access/access_rules.ts";
import type { FrameWriter } from "../protocol/file/frame_stream.ts";
import type { ListEntry } from "../protocol/file/messages.ts";
import type { SessionContext } from "./session_context.ts";

/** Bytes of listing entries per LIST_ENTRIES frame, well under any frame limit. */
const LIST_BATCH_BYTES = 60_000;

/**
 * Answers a LIST for `subject`.
 *
 * @returns how many entries were sent
 */
export async function serveList(
  ctx: SessionContext,
  subject: Subject,
  writer: FrameWriter,
): Promise<number> {
  const entries = (await ctx.store.list()).filter((e) => ctx.rules.can(subject, [e.name], R));
  let batch: ListEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    batch.push(e);
    bytes += e.name.length * 3 + 18;
    if (bytes >= LIST_BATCH_BYTES) {
      await writer.send({ type: "LIST_ENTRIES", last: false, entries: batch });
      batch = [];
      bytes = 0;
    }
  }
  await writer.send({ type: "LIST_ENTRIES", last: true, entries: batch });
  return entries.length;
}
