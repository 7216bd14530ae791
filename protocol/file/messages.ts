/**
 * The messages of the netkit file protocol as a discriminated union, with
 * pure `encodeMessage` and `decodeMessage`. DATA frames carry raw file bytes
 * and are handled by the stream adapter without a message object.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { codeName, wireCode } from "./error_codes.ts";
import { FieldReader, FieldWriter } from "./fields.ts";
import { encodeFrame, FrameType, type FrameTypeValue } from "./frame.ts";

/** Protocol version spoken by this build. */
export const PROTOCOL_VERSION = 1;

/** The ALPN protocol name the file protocol negotiates over TLS. */
export const ALPN = "netkit/1";

/** The four bytes that open every HELLO: "NKIT". */
export const HELLO_MAGIC = new Uint8Array([0x4e, 0x4b, 0x49, 0x54]);

/** Feature bits announced in WELCOME. */
export const Feature = {
  LIST: 1 << 0,
  GET: 1 << 1,
  PUT: 1 << 2,
  GET_RESUME: 1 << 3,
  PUT_RESUME: 1 << 4,
  TLS: 1 << 5,
  AUTH: 1 << 6,
  READ_ONLY: 1 << 7,
  /** The server has user accounts: HELLO may name a user, its token the password. */
  USERS: 1 << 8,
  /**
   * The server takes a version with a resumed transfer: `ifVersion` on GET
   * and `version` on a resumable PUT. Older servers refuse those fields, so
   * a client sends them only when this bit is set.
   */
  RESUME_CHECK: 1 << 9,
  /** The server takes CANCEL, dropping what it kept of broken uploads. */
  CANCEL: 1 << 10,
} as const;

/** PUT flags. */
export const PutFlag = {
  /** Replace an existing file of the same name. */
  OVERWRITE: 1 << 0,
  /** Continue an earlier upload of the same name and size. */
  RESUME: 1 << 1,
} as const;

/** One regular file in a listing. */
export interface ListEntry {
  /** File name, relative to the library. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** Modification time, milliseconds since the epoch. */
  mtimeMs: number;
}

/** Client greeting: the first frame on every connection. */
export interface Hello {
  type: "HELLO";
  version: number;
  /** Hash algorithms the client can verify with, preferred first. */
  hashes: string[];
  /** Authentication token; empty when none. */
  token: Uint8Array;
  /** Free-form client name for logs. */
  client: string;
  /**
   * The user signing in (then `token` is the password). An optional trailing
   * field: sent only when there is a user, so a HELLO without one is byte
   * for byte what servers before it expect.
   */
  user?: string;
}
/** Server greeting: the answer to HELLO. */
export interface Welcome {
  type: "WELCOME";
  version: number;
  /** Bitwise OR of {@linkcode Feature} values. */
  features: number;
  /** Largest frame payload the server accepts. */
  maxFrame: number;
  /** Largest upload the server accepts, in bytes. */
  maxUpload: number;
  /** Idle time after which the server drops a silent connection, ms. */
  idleTimeoutMs: number;
  /** The hash algorithm every transfer on this connection is verified with. */
  hash: string;
  /** Free-form server name. */
  server: string;
}
/** Request the library listing. */
export interface List {
  type: "LIST";
}
/** A batch of listing entries; `last` marks the final batch. */
export interface ListEntries {
  type: "LIST_ENTRIES";
  last: boolean;
  entries: ListEntry[];
}
/** What a resumed transfer continues: the source's size and modification time. */
export interface SourceVersion {
  size: number;
  mtimeMs: number;
}

/** Request a file from `offset` on. */
export interface Get {
  type: "GET";
  name: string;
  offset: number;
  /**
   * Continue from `offset` only if the file is still this version; if it is
   * not, the server sends it whole (GET_OK with offset 0), as HTTP's
   * `If-Range` does. Sent only to servers with `RESUME_CHECK`.
   */
  ifVersion?: SourceVersion;
}
/** The server will send `size - offset` bytes as DATA frames, then END. */
export interface GetOk {
  type: "GET_OK";
  size: number;
  offset: number;
  mtimeMs: number;
}
/** Offer an upload of `size` bytes. */
export interface Put {
  type: "PUT";
  name: string;
  size: number;
  /** Bitwise OR of {@linkcode PutFlag} values. */
  flags: number;
  /**
   * With RESUME: the source's version (its modification time, ms). The server
   * keeps a broken upload's bytes per name, size and version, so bytes of
   * another version are never continued. Sent only to servers with
   * `RESUME_CHECK`.
   */
  version?: number;
}
/** The server takes DATA from `offset` on (0 unless resuming). */
export interface PutReady {
  type: "PUT_READY";
  offset: number;
}
/** The upload is verified and in place under its final name. */
export interface PutOk {
  type: "PUT_OK";
  size: number;
  digest: Uint8Array;
}
/** Drop what the server kept of broken resumable uploads to `name`. */
export interface Cancel {
  type: "CANCEL";
  name: string;
}
/** The answer to CANCEL: how many kept uploads were dropped (at least 1). */
export interface CancelOk {
  type: "CANCEL_OK";
  removed: number;
}
/** End of a transfer's DATA: the digest of the whole file, from byte 0. */
export interface End {
  type: "END";
  digest: Uint8Array;
}
/** Close the session politely. */
export interface Quit {
  type: "QUIT";
}
/** The server's answer to QUIT. */
export interface Bye {
  type: "BYE";
}
/** A typed failure. */
export interface ErrorMessage {
  type: "ERROR";
  /** A code name of netkit's error family, such as `"NOT_FOUND"`. */
  code: string;
  message: string;
}

/** Every control message (everything but DATA). */
export type Message =
  | Hello
  | Welcome
  | List
  | ListEntries
  | Get
  | GetOk
  | Put
  | PutReady
  | PutOk
  | Cancel
  | CancelOk
  | End
  | Quit
  | Bye
  | ErrorMessage;

/** The frame type of a message. */
export function frameTypeOf(m: Message): FrameTypeValue {
  return FrameType[m.type];
}

/** Encodes a message's payload (no frame header). */
export function encodePayload(m: Message): Uint8Array {
  const w = new FieldWriter();
  switch (m.type) {
    case "HELLO":
      w.raw(HELLO_MAGIC).u16(m.version).u8(m.hashes.length);
      for (const h of m.hashes) w.str(h);
      w.bytes16(m.token).str(m.client);
      if (m.user) w.str(m.user);
      break;
    case "WELCOME":
      w.u16(m.version).u32(m.features).u32(m.maxFrame).u64(m.maxUpload)
        .u32(m.idleTimeoutMs).str(m.hash).str(m.server);
      break;
    case "LIST":
    case "QUIT":
    case "BYE":
      break;
    case "LIST_ENTRIES":
      w.u8(m.last ? 1 : 0).u32(m.entries.length);
      for (const e of m.entries) w.str(e.name).u64(e.size).u64(e.mtimeMs);
      break;
    case "GET":
      w.str(m.name).u64(m.offset);
      if (m.ifVersion) w.u64(m.ifVersion.size).u64(m.ifVersion.mtimeMs);
      break;
    case "GET_OK":
      w.u64(m.size).u64(m.offset).u64(m.mtimeMs);
      break;
    case "PUT":
      w.str(m.name).u64(m.size).u8(m.flags);
      if (m.version !== undefined) w.u64(m.version);
      break;
    case "CANCEL":
      w.str(m.name);
      break;
    case "CANCEL_OK":
      w.u32(m.removed);
      break;
    case "PUT_READY":
      w.u64(m.offset);
      break;
    case "PUT_OK":
      w.u64(m.size).bytes16(m.digest);
      break;
    case "END":
      w.bytes16(m.digest);
      break;
    case "ERROR":
      w.u16(wireCode(m.code)).str(m.message);
      break;
  }
  return w.bytes();
}

/** Encodes a message as one whole frame. */
export function encodeMessage(m: Message): Uint8Array {
  return encodeFrame(frameTypeOf(m), encodePayload(m));
}

/**
 * Decodes a control frame's payload.
 *
 * @throws {ProtocolError} `BAD_FRAME` for truncated, oversized or trailing fields,
 *   a HELLO without the magic, and for DATA (which has no message form)
 */
export function decodeMessage(
  type: FrameTypeValue,
  payload: Uint8Array,
): Message {
  const r = new FieldReader(payload);
  let m: Message;
  switch (type) {
    case FrameType.HELLO: {
      for (let i = 0; i < HELLO_MAGIC.length; i++) {
        if (r.u8() !== HELLO_MAGIC[i]) {
          throw new ProtocolError("BAD_FRAME", "not a netkit client (bad magic)");
        }
      }
      const version = r.u16();
      const n = r.u8();
      const hashes: string[] = [];
      for (let i = 0; i < n; i++) hashes.push(r.str());
      m = {
        type: "HELLO",
        version,
        hashes,
        token: r.bytes16(),
        client: r.str(),
      };
      if (!r.atEnd) {
        m.user = r.str();
        if (m.user === "") throw new ProtocolError("BAD_FRAME", "HELLO names an empty user");
      }
      break;
    }
    case FrameType.WELCOME:
      m = {
        type: "WELCOME",
        version: r.u16(),
        features: r.u32(),
        maxFrame: r.u32(),
        maxUpload: r.u64(),
        idleTimeoutMs: r.u32(),
        hash: r.str(),
        server: r.str(),
      };
      break;
    case FrameType.LIST:
      m = { type: "LIST" };
      break;
    case FrameType.QUIT:
      m = { type: "QUIT" };
      break;
    case FrameType.BYE:
      m = { type: "BYE" };
      break;
    case FrameType.LIST_ENTRIES: {
      const last = r.u8() !== 0;
      const n = r.u32();
      // Each entry takes at least 18 bytes: reject counts the payload cannot hold.
      if (n * 18 > payload.length) {
        throw new ProtocolError("BAD_FRAME", "listing count exceeds payload");
      }
      const entries: ListEntry[] = [];
      for (let i = 0; i < n; i++) {
        entries.push({ name: r.str(), size: r.u64(), mtimeMs: r.u64() });
      }
      m = { type: "LIST_ENTRIES", last, entries };
      break;
    }
    case FrameType.GET: {
      const get: Get = { type: "GET", name: r.str(), offset: r.u64() };
      if (r.left >= 16) get.ifVersion = { size: r.u64(), mtimeMs: r.u64() };
      m = get;
      break;
    }
    case FrameType.GET_OK:
      m = { type: "GET_OK", size: r.u64(), offset: r.u64(), mtimeMs: r.u64() };
      break;
    case FrameType.PUT: {
      const put: Put = { type: "PUT", name: r.str(), size: r.u64(), flags: r.u8() };
      if (r.left >= 8) put.version = r.u64();
      m = put;
      break;
    }
    case FrameType.CANCEL:
      m = { type: "CANCEL", name: r.str() };
      break;
    case FrameType.CANCEL_OK:
      m = { type: "CANCEL_OK", removed: r.u32() };
      break;
    case FrameType.PUT_READY:
      m = { type: "PUT_READY", offset: r.u64() };
      break;
    case FrameType.PUT_OK:
      m = { type: "PUT_OK", size: r.u64(), digest: r.bytes16() };
      break;
    case FrameType.END:
      m = { type: "END", digest: r.bytes16() };
      break;
    case FrameType.ERROR:
      m = { type: "ERROR", code: codeName(r.u16()), message: r.str() };
      break;
    case FrameType.DATA:
      throw new ProtocolError("BAD_FRAME", "DATA has no message form");
    default:
      throw new ProtocolError("BAD_FRAME", `unknown frame type ${type}`);
  }
  r.end();
  return m;
}

/** The ERROR message for an error of netkit's family (anything with a code). */
export function errorMessage(e: { code: string; message: string }): ErrorMessage {
  return { type: "ERROR", code: e.code, message: e.message };
}
