/**
 * TFTP netascii mode (RFC 1350, after Telnet's NVT): on the wire every line
 * ends with CR LF and a bare CR is sent as CR NUL. These pure functions
 * convert between that form and local text with LF line ends. The decoder is
 * a small state machine because a CR may end one block and its partner
 * start the next.
 *
 * @module
 */

const CR = 13;
const LF = 10;
const NUL = 0;

/**
 * Converts local text (LF line ends) to netascii: LF becomes CR LF and a bare
 * CR becomes CR NUL. Needs no state across chunks.
 */
export function netasciiEncode(chunk: Uint8Array): Uint8Array {
  let extra = 0;
  for (const b of chunk) if (b === LF || b === CR) extra++;
  if (extra === 0) return chunk;
  const out = new Uint8Array(chunk.length + extra);
  let at = 0;
  for (const b of chunk) {
    if (b === LF) {
      out[at++] = CR;
      out[at++] = LF;
    } else if (b === CR) {
      out[at++] = CR;
      out[at++] = NUL;
    } else {
      out[at++] = b;
    }
  }
  return out;
}

/** The size of `chunk` once netascii-encoded. */
export function netasciiEncodedLength(chunk: Uint8Array): number {
  let n = chunk.length;
  for (const b of chunk) if (b === LF || b === CR) n++;
  return n;
}

/**
 * Converts netascii back to local text: CR LF becomes LF, CR NUL becomes CR.
 * A CR followed by anything else is kept as is (peers are not always
 * careful). Feed chunks in order to {@linkcode NetasciiDecoder.push}, then
 * call {@linkcode NetasciiDecoder.end}.
 */
export class NetasciiDecoder {
  #pendingCr = false;

  /** Decodes the next chunk; a CR at its very end is held for the next one. */
  push(chunk: Uint8Array): Uint8Array {
    const out = new Uint8Array(chunk.length + 1);
    let at = 0;
    let i = 0;
    if (this.#pendingCr && chunk.length > 0) {
      this.#pendingCr = false;
      const b = chunk[0];
      if (b === LF) out[at++] = LF;
      else if (b === NUL) out[at++] = CR;
      else {
        out[at++] = CR;
        i = -1; // reprocess chunk[0] below
      }
      i++;
    }
    for (; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== CR) {
        out[at++] = b;
        continue;
      }
      if (i + 1 === chunk.length) {
        this.#pendingCr = true;
        break;
      }
      const next = chunk[i + 1];
      if (next === LF) {
        out[at++] = LF;
        i++;
      } else if (next === NUL) {
        out[at++] = CR;
        i++;
      } else {
        out[at++] = CR;
      }
    }
    return out.subarray(0, at);
  }

  /** Flushes a trailing CR, if the input ended with one. */
  end(): Uint8Array {
    if (!this.#pendingCr) return new Uint8Array(0);
    this.#pendingCr = false;
    return new Uint8Array([CR]);
  }
}
