/**
 * One end of a TFTP transfer: a UDP socket bound to a single peer transfer
 * ID (address and port). It receives with a timeout, decodes packets, answers
 * packets from any other port with ERROR 5 without letting them change
 * anything, and answers a malformed packet from the peer with ERROR 4.
 *
 * @module
 */

import { isNetkitError, NetkitError } from "../core/errors.ts";
import { TftpPeerError, toTftpError } from "../protocol/tftp/errors.ts";
import { DatagramWaiter } from "./datagram_waiter.ts";
import { decodePacket, encodePacket, type Packet, TftpErrorCode } from "../protocol/tftp/packet.ts";

/** Bigger than any UDP payload, so a truncated datagram is always noticed. */
const RECEIVE_BUFFER = 65536 + 1;

/** A UDP endpoint talking to one peer. Closing it ends a pending receive. */
export class Channel implements Disposable {
  readonly conn: Deno.DatagramConn;
  #peer: Deno.NetAddr | null;
  readonly #peerHost: string | null;
  readonly #waiter: DatagramWaiter;
  #closed = false;
  #sendFailed: unknown = null;

  /**
   * @param conn the socket, owned by the channel from now on
   * @param peer the peer's transfer ID, or null to lock onto the first reply
   * @param peerHost when `peer` is null, the only host a first reply may come from (null: any)
   */
  constructor(
    conn: Deno.DatagramConn,
    peer: Deno.NetAddr | null,
    peerHost: string | null = null,
  ) {
    this.conn = conn;
    this.#waiter = new DatagramWaiter(conn, new Uint8Array(RECEIVE_BUFFER));
    this.#peer = peer;
    this.#peerHost = peerHost;
  }

  /** The peer's transfer ID, once known. */
  get peer(): Deno.NetAddr | null {
    return this.#peer;
  }

  /** Sends raw packet bytes to the peer. */
  async send(bytes: Uint8Array): Promise<void> {
    if (!this.#peer) throw new Error("channel has no peer yet");
    await this.conn.send(bytes, this.#peer);
  }

  /**
   * Sends raw packet bytes to the peer without waiting for the send to
   * finish, so the next receive is posted in the same event-loop turn (the
   * hot path: DATA windows and ACKs). `bytes` must not change until the peer
   * has answered it. A send failure surfaces from the next `receive`.
   */
  post(bytes: Uint8Array): void {
    if (!this.#peer) throw new Error("channel has no peer yet");
    this.conn.send(bytes, this.#peer).catch((e) => this.#sendFailed ??= e);
  }

  /** Sends raw bytes to any address (requests before the peer is known). */
  async sendTo(bytes: Uint8Array, addr: Deno.NetAddr): Promise<void> {
    await this.conn.send(bytes, addr);
  }

  /** Best-effort ERROR to `addr` (the peer by default); never throws. */
  async sendError(
    code: number,
    message: string,
    addr = this.#peer,
  ): Promise<void> {
    if (!addr || this.#closed) return;
    try {
      await this.conn.send(encodePacket({ op: "ERROR", code, message }), addr);
    } catch { /* the transfer is ending anyway */ }
  }

  /** Tells the peer why the transfer failed, unless the peer itself said so. */
  async sendFailure(e: unknown): Promise<void> {
    if (e instanceof TftpPeerError) return;
    const { code, message } = toTftpError(isNetkitError(e) ? e : null);
    await this.sendError(code, message);
  }

  /**
   * Waits up to `timeoutMs` for the next packet from the peer. DATA payloads
   * are views into the channel's buffer, valid until the next `receive`.
   *
   * @returns the packet, or null on timeout
   * @throws {TftpPeerError} when the peer sends ERROR
   * @throws {NetkitError} `BAD_FRAME` for a malformed packet (answer it with `sendFailure`)
   */
  async receive(
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Packet | null> {
    const deadline = performance.now() + timeoutMs;
    let left = timeoutMs; // the clock is read again only after a packet is skipped
    for (;; left = deadline - performance.now()) {
      if (this.#sendFailed) throw this.#sendFailed;
      if (left <= 0) return null;
      const got = await this.#waiter.next(left, signal);
      if (got === null) return null;
      const [bytes, from] = got;
      const addr = from as Deno.NetAddr;
      if (this.#peer === null) {
        if (this.#peerHost !== null && addr.hostname !== this.#peerHost) {
          continue; // not from the host we asked: ignore
        }
        this.#peer = { ...addr };
      } else if (
        addr.port !== this.#peer.port || addr.hostname !== this.#peer.hostname
      ) {
        await this.#stranger(bytes, addr);
        continue;
      }
      const packet = this.#decode(bytes);
      if (packet.op === "ERROR") {
        throw new TftpPeerError(packet.code, packet.message);
      }
      return packet;
    }
  }

  #decode(bytes: Uint8Array): Packet {
    if (bytes.length >= RECEIVE_BUFFER) {
      throw new NetkitError("BAD_FRAME", "datagram too large");
    }
    return decodePacket(bytes);
  }

  /** A packet from another transfer ID: ERROR 5 to it (never to an ERROR), nothing else. */
  async #stranger(bytes: Uint8Array, addr: Deno.NetAddr): Promise<void> {
    if (bytes.length >= 2 && bytes[0] === 0 && bytes[1] === 5) return;
    await this.sendError(
      TftpErrorCode.UNKNOWN_TID,
      "unknown transfer ID",
      addr,
    );
  }

  /** Closes the socket; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiter.close();
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
