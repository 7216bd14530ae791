/**
 * Pieces of a 207 Multi-Status body (RFC 4918 section 13) as strings: the
 * head and tail, one `response` with its `propstat` groups, one `response`
 * with a bare status. Hrefs arrive percent-encoded (`hrefOf`); property XML
 * arrives escaped. A whole body for small answers, or pieces for a stream.
 *
 * @module
 */

const REASONS: Readonly<Record<number, string>> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  412: "Precondition Failed",
  423: "Locked",
  424: "Failed Dependency",
  500: "Internal Server Error",
  507: "Insufficient Storage",
};

/** The XML declaration and the opening `multistatus` element. */
export const MULTISTATUS_HEAD =
  `<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">\n`;

/** The closing `multistatus` element. */
export const MULTISTATUS_TAIL = `</D:multistatus>\n`;

/** The `HTTP/1.1 NNN Reason` line of a status. */
export function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${REASONS[status] ?? ""}`.trimEnd();
}

/** One `propstat` group: properties (as XML) that share a status. */
export interface Propstat {
  status: number;
  props: string[];
  /** A `DAV:error` condition for this group (e.g. `cannot-modify-protected-property`). */
  condition?: string;
}

/** A `response` with one `propstat` per non-empty group. */
export function propResponse(href: string, groups: readonly Propstat[]): string {
  let out = `<D:response><D:href>${href}</D:href>`;
  for (const g of groups) {
    if (g.props.length === 0) continue;
    out += `<D:propstat><D:prop>${g.props.join("")}</D:prop><D:status>${
      statusLine(g.status)
    }</D:status>`;
    if (g.condition) out += `<D:error><D:${g.condition}/></D:error>`;
    out += `</D:propstat>`;
  }
  return out + `</D:response>\n`;
}

/** A `response` with a status for the resource itself (a member that could not be deleted). */
export function statusResponse(href: string, status: number, condition?: string): string {
  const error = condition ? `<D:error><D:${condition}/></D:error>` : "";
  return `<D:response><D:href>${href}</D:href><D:status>${
    statusLine(status)
  }</D:status>${error}</D:response>\n`;
}

/** A whole 207 answer from `responses`. */
export function multistatus(responses: readonly string[], common: [string, string][]): Response {
  return new Response(MULTISTATUS_HEAD + responses.join("") + MULTISTATUS_TAIL, {
    status: 207,
    headers: [...common, ["content-type", XML_TYPE]],
  });
}

/** The content type of every XML answer. */
export const XML_TYPE = "application/xml; charset=utf-8";
