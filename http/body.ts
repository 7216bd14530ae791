/**
 * Response bodies read from an open file: byte spans (ranges) and literal
 * framing (multipart), pulled on demand so memory stays at one chunk per
 * response, and aborted when the client stops reading for too long.
 *
 * @module
 */

import { NetkitError } from "../core/errors.ts";
import { type Clock, systemClock } from "../core/clock.ts";

/** One piece of a body: literal bytes or a span of the file. */
export type BodyPart = Uint8Array | { start: number; length: number };

/** Largest chunk read from the file at once. */
export const CHUNK_SIZE = 256 * 1024;

/**
 * A stream of `parts`, reading file spans from `file` as the client pulls.
 * The file is closed when the stream ends, fails, is cancelled, or stalls:
 * if the consumer takes nothing for `stallMs` (0 = never), the stream errors
 * and `Deno.serve` drops the connection.
 */
export function partsBody(
  file: Deno.FsFile,
  parts: readonly BodyPart[],
  stallMs: number,
  clock: Clock = systemClock,
): ReadableStream<Uint8Array> {
  let index = 0;
  let offset = 0; // bytes of parts[index] already sent
  let timer: (() => void) | undefined; // cancels the stall timer
  let closed = false;
  const close = () => {
    timer?.();
    if (!closed) {
      closed = true;
      try {
        file.close();
      } catch { /* already closed */ }
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      timer?.();
      try {
        const chunk = await next();
        if (chunk === null) {
          close();
          controller.close();
          return;
        }
        controller.enqueue(chunk);
        if (stallMs > 0) {
          timer = clock.after(stallMs, () => {
            close();
            controller.error(
              new NetkitError(
                "TIMEOUT",
                `a client took nothing for ${stallMs} ms: response aborted`,
              ),
            );
          });
        }
      } catch (e) {
        close();
        controller.error(e);
      }
    },
    cancel() {
      close();
    },
  }, { highWaterMark: 1 });

  async function next(): Promise<Uint8Array | null> {
    while (index < parts.length) {
      const part = parts[index];
      if (part instanceof Uint8Array) {
        index++;
        if (part.length > 0) return part;
        continue;
      }
      const left = part.length - offset;
      if (left <= 0) {
        index++;
        offset = 0;
        continue;
      }
      const buf = new Uint8Array(Math.min(left, CHUNK_SIZE));
      await file.seek(part.start + offset, Deno.SeekMode.Start);
      let n = 0;
      while (n < buf.length) {
        const r = await file.read(buf.subarray(n));
        if (r === null) throw new Error("file shrank while being sent");
        n += r;
      }
      offset += n;
      return buf;
    }
    return null;
  }
}
