/**
 * Lines typed at the prompt, read one at a time from a byte stream. A wait
 * for a line can be given up (Ctrl-C at a question) without losing the line
 * still to come: the next call gets it.
 *
 * @module
 */

/** Thrown by {@linkcode LineReader.next} when its signal aborts the wait. */
export class Interrupted extends Error {
  constructor() {
    super("interrupted");
    this.name = "Interrupted";
  }
}

/** Reads lines from a byte stream, one at a time. */
export class LineReader {
  readonly #lines: AsyncIterator<string>;
  /** The read under way, kept when a waiter gives up so no line is lost. */
  #pending: Promise<string | null> | null = null;

  constructor(input: ReadableStream<Uint8Array>) {
    this.#lines = lines(input)[Symbol.asyncIterator]();
  }

  /**
   * The next line without its line ending, or `null` at the end of input.
   *
   * @throws {Interrupted} when `signal` aborts first
   */
  async next(signal?: AbortSignal): Promise<string | null> {
    this.#pending ??= this.#lines.next().then((r) => r.done ? null : r.value);
    const line = await abortable(this.#pending, signal);
    this.#pending = null;
    return line;
  }
}

/** `p`, or an {@linkcode Interrupted} rejection as soon as `signal` aborts. */
export function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new Interrupted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Interrupted());
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function* lines(input: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of input.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      yield rest.slice(0, nl).replace(/\r$/, "");
      rest = rest.slice(nl + 1);
    }
  }
  if (rest !== "") yield rest;
}
