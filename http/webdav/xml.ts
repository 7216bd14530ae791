/**
 * WebDAV's XML, both ways. Request bodies are parsed by `saxes` (strict
 * XML 1.0 with namespaces, no DTD processing) into a small element tree,
 * under limits checked before anything is buffered: the declared length, the
 * bytes actually read, the nesting depth and the node count. A DOCTYPE is
 * refused outright, so no entity can be declared, let alone expanded (no
 * billion laughs, no external entities); a reference to any entity but the
 * five predefined ones is a syntax error. Output is built from strings by
 * {@linkcode escapeXml}, {@linkcode elementXml} and {@linkcode hrefOf}:
 * every name escaped, every href percent-encoded.
 *
 * @module
 */

import { SaxesParser, type SaxesTagNS } from "saxes";
import { NetkitError } from "../../core/errors.ts";
import { DavError } from "./dav_error.ts";

/** The WebDAV namespace. */
export const DAV = "DAV:";

/** An attribute of a parsed element (namespace declarations left out). */
export interface XmlAttr {
  ns: string;
  local: string;
  value: string;
}

/** A parsed element: its expanded name, attributes and children (text as strings). */
export interface XmlElement {
  ns: string;
  local: string;
  attrs: XmlAttr[];
  children: XmlNode[];
}

/** Element or character data. */
export type XmlNode = XmlElement | string;

/** Limits on a parsed body. */
export interface XmlLimits {
  /** Most bytes of the body. @default 1 MiB */
  maxBytes?: number;
  /** Deepest nesting of elements. @default 64 */
  maxDepth?: number;
  /** Most elements and text nodes. @default 20000 */
  maxNodes?: number;
}

const XMLNS = "http://www.w3.org/2000/xmlns/";

/** Parses a whole document held in memory; see {@linkcode readXml}. */
export function parseXml(text: string, limits: XmlLimits = {}): XmlElement {
  const p = new XmlTreeParser(limits);
  p.write(text);
  return p.close();
}

/**
 * Reads and parses a request body; null for an empty body (only white space).
 *
 * @throws {NetkitError} `TOO_LARGE` past `maxBytes` (checked on
 *   `Content-Length` before reading, then on every chunk read)
 * @throws {DavError} 400 for XML that is not well-formed, or refused
 */
export async function readXml(req: Request, limits: XmlLimits = {}): Promise<XmlElement | null> {
  const max = limits.maxBytes ?? 1 << 20;
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (declared > max) throw tooLarge(max);
  if (req.body === null || declared === 0) return null;
  const p = new XmlTreeParser(limits);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const reader = req.body.getReader();
  let n = 0;
  let blank = true;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.length;
      if (n > max) throw tooLarge(max);
      const text = decode(decoder, value, true);
      if (blank && text.trim() === "") continue;
      blank = false;
      p.write(text);
    }
    const rest = decode(decoder, undefined, false);
    if (blank && rest.trim() === "") return null;
    p.write(rest);
    return p.close();
  } finally {
    reader.cancel().catch(() => {});
  }
}

function decode(d: TextDecoder, bytes: Uint8Array | undefined, stream: boolean): string {
  try {
    return d.decode(bytes, { stream });
  } catch {
    throw new DavError(400, "the body is not UTF-8");
  }
}

function tooLarge(max: number): NetkitError {
  return new NetkitError("TOO_LARGE", `the XML body is larger than ${max} bytes`);
}

/** Builds the element tree from saxes' events, enforcing the limits. */
class XmlTreeParser {
  readonly #p = new SaxesParser({ xmlns: true, position: true });
  readonly #stack: XmlElement[] = [];
  #root: XmlElement | null = null;
  #nodes = 0;

  constructor(limits: XmlLimits) {
    const maxDepth = limits.maxDepth ?? 64;
    const maxNodes = limits.maxNodes ?? 20_000;
    const count = () => {
      if (++this.#nodes > maxNodes) throw new DavError(400, "too many XML nodes");
    };
    const p = this.#p;
    p.on("doctype", () => {
      throw new DavError(400, "a DOCTYPE is not accepted");
    });
    p.on("xmldecl", (d) => {
      const enc = d.encoding?.toLowerCase();
      if (enc !== undefined && enc !== "utf-8" && enc !== "utf8" && enc !== "us-ascii") {
        throw new DavError(400, `the XML encoding ${d.encoding} is not accepted (UTF-8 only)`);
      }
    });
    p.on("opentag", (tag: SaxesTagNS) => {
      count();
      if (this.#stack.length >= maxDepth) throw new DavError(400, "XML nested too deeply");
      const attrs: XmlAttr[] = [];
      for (const a of Object.values(tag.attributes)) {
        if (a.uri === XMLNS) continue;
        attrs.push({ ns: a.uri, local: a.local, value: a.value });
      }
      const el: XmlElement = { ns: tag.uri, local: tag.local, attrs, children: [] };
      const parent = this.#stack.at(-1);
      if (parent) parent.children.push(el);
      else this.#root = el;
      this.#stack.push(el);
    });
    p.on("closetag", () => void this.#stack.pop());
    const text = (t: string) => {
      const parent = this.#stack.at(-1);
      if (!parent) return; // white space outside the root
      count();
      const last = parent.children.at(-1);
      if (typeof last === "string") parent.children[parent.children.length - 1] = last + t;
      else parent.children.push(t);
    };
    p.on("text", text);
    p.on("cdata", text);
  }

  write(text: string): void {
    try {
      this.#p.write(text);
    } catch (e) {
      throw asDavError(e);
    }
  }

  close(): XmlElement {
    try {
      this.#p.close();
    } catch (e) {
      throw asDavError(e);
    }
    if (this.#root === null) throw new DavError(400, "no XML element in the body");
    return this.#root;
  }
}

function asDavError(e: unknown): DavError {
  if (e instanceof DavError) return e;
  return new DavError(400, `bad XML: ${e instanceof Error ? e.message : String(e)}`);
}

/** The child elements of `el`, optionally only those named `{ns}local`. */
export function childElements(el: XmlElement, ns?: string, local?: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement =>
    typeof c !== "string" && (ns === undefined || (c.ns === ns && c.local === local))
  );
}

/** The first child element named `{ns}local`, or undefined. */
export function child(el: XmlElement, ns: string, local: string): XmlElement | undefined {
  return childElements(el, ns, local)[0];
}

/** True when `el` is `{ns}local`. */
export function isElement(el: XmlElement | undefined, ns: string, local: string): boolean {
  return el !== undefined && el.ns === ns && el.local === local;
}

// Characters XML 1.0 cannot carry at all: C0 controls but tab, CR and LF,
// lone surrogates, U+FFFE and U+FFFF.
const NOT_XML =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "\r": "&#13;",
  "\t": "&#9;",
  "\n": "&#10;",
};

/**
 * Escapes text for element content and double-quoted attributes; CR is
 * escaped so a reader's line-end normalization keeps it, and characters
 * XML cannot carry become U+FFFD.
 */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML, "\ufffd").replace(/[&<>"\r]/g, (c) => ESCAPES[c]);
}

/** {@linkcode escapeXml} for an attribute value: tab and line feed too, which readers turn into spaces. */
function escapeAttr(text: string): string {
  return escapeXml(text).replace(/[\t\n]/g, (c) => ESCAPES[c]);
}

/**
 * Serializes `el` as a self-contained fragment: each element declares the
 * default namespace it needs (`xmlns=""` for no namespace), and attributes
 * in a namespace get a prefix declared on their element, so the fragment
 * means the same wherever it is placed.
 */
export function elementXml(el: XmlElement, inheritedDefault: string | null = null): string {
  let out = `<${el.local}`;
  if (el.ns !== inheritedDefault) out += ` xmlns="${escapeAttr(el.ns)}"`;
  el.attrs.forEach((a, i) => {
    if (a.ns === "") out += ` ${a.local}="${escapeAttr(a.value)}"`;
    else out += ` xmlns:a${i}="${escapeAttr(a.ns)}" a${i}:${a.local}="${escapeAttr(a.value)}"`;
  });
  if (el.children.length === 0) return out + "/>";
  out += ">";
  for (const c of el.children) out += typeof c === "string" ? escapeXml(c) : elementXml(c, el.ns);
  return out + `</${el.local}>`;
}

/** An empty element for the property name `{ns}local` (as in a `propname` answer). */
export function emptyElementXml(ns: string, local: string): string {
  return ns === DAV ? `<D:${local}/>` : `<${local} xmlns="${escapeXml(ns)}"/>`;
}

/** The percent-encoded href of checked segments; a folder's ends with `/`. */
export function hrefOf(segments: readonly string[], folder: boolean): string {
  const path = "/" + segments.map(encodeURIComponent).join("/");
  return folder && segments.length > 0 ? path + "/" : path;
}
