/**
 * One member of a streamed folder archive, as the zip and tar writers see
 * it: a relative name, metadata, and a way to open the bytes when the writer
 * reaches it (so only one file is open at a time).
 *
 * @module
 */

/** A file or folder to put into an archive. */
export interface ArchiveEntry {
  /** Path inside the archive, `/`-separated, no leading or trailing `/`. */
  name: string;
  /** True for a folder (no content). */
  dir: boolean;
  /** Size in bytes when listed; exactly this many bytes are archived. */
  size: number;
  /** Modification time, ms since the epoch. */
  mtimeMs: number;
  /** Unix permission bits. */
  mode: number;
  /** Opens the content; called once, only for files. */
  open(): Promise<ReadableStream<Uint8Array>>;
}

/**
 * Yields exactly `size` bytes of `stream`: cut short if the file grew since
 * it was listed, padded with zeros if it shrank, so an archive's declared
 * sizes always hold.
 */
export async function* exactly(
  stream: ReadableStream<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array> {
  let left = size;
  const reader = stream.getReader();
  try {
    while (left > 0) {
      const { value, done } = await reader.read();
      if (done) break;
      const chunk = value.length > left ? value.subarray(0, left) : value;
      left -= chunk.length;
      yield chunk;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const zeros = new Uint8Array(Math.min(left, 1 << 20));
  while (left > 0) {
    const n = Math.min(left, zeros.length);
    left -= n;
    yield zeros.subarray(0, n);
  }
}
