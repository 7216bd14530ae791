/**
 * The WebDAV access tests' library, served with per-path rules to alice and
 * bob (real SHA-crypt htpasswd entries) through the whole handler, and what
 * the tests read it with: requests as a user or anonymous, multistatus
 * hrefs, and a snapshot of everything on disk.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseShaCrypt, shaCrypt } from "../core/access/sha_crypt.ts";
import { handlerFor, type HandlerUnderTest } from "./http_handler_helpers.ts";
import { type TempDir, tempDir } from "./temp_dir.ts";
import { lockBody } from "./webdav_helpers.ts";

/** The rules served. */
export const RULES = [
  "/:r:-",
  "/team:rwd:*",
  "/team/archive:r:*",
  "/team/project/final:r:*",
  "/team/project/secret::-",
  "/team/alice:rwd:alice",
  "/uploads:rw:alice,bob",
  "/private:rwd:alice",
  "/drop:w:-",
];

/** The library's files and their contents. */
export const FILES: Record<string, string> = {
  "pub.txt": "public",
  "pub/readme.txt": "readme",
  "team/notes.txt": "notes",
  "team/archive/old.txt": "old",
  "team/project/plan.txt": "plan",
  "team/project/final/report.txt": "report",
  "team/project/secret/key.txt": "KEY",
  "team/alice/a.txt": "alice's",
  "uploads/u.txt": "bob's upload",
  "private/p.txt": "PRIVATE",
  "drop/earlier.txt": "someone's upload",
  "drop/sub/inner.txt": "inner",
};

/** The accounts. */
export const PASSWORDS: Record<string, string> = { alice: "alice-pw", bob: "bob-pw" };
const ENC = new TextEncoder();

/** A library laid out as {@linkcode FILES}, served with the rules to alice and bob. */
export interface Fixture extends AsyncDisposable {
  root: string;
  h: HandlerUnderTest;
}

/** Lays out {@linkcode FILES} in a fresh folder and serves it with {@linkcode RULES}. */
export async function fixture(): Promise<Fixture> {
  const dir: TempDir = await tempDir("davacc-");
  const root = dir.join("root");
  for (const [path, text] of Object.entries(FILES)) {
    await Deno.mkdir(`${root}/${path}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(`${root}/${path}`, text);
  }
  // SHA-256-crypt at its fewest rounds: real entries, cheap to check.
  const users = dir.join("htpasswd");
  await Deno.writeTextFile(
    users,
    Object.entries(PASSWORDS).map(([name, pw]) =>
      `${name}:${shaCrypt(ENC.encode(pw), parseShaCrypt(`$5$rounds=1000$${name}salt`)!)}\n`
    ).join(""),
  );
  const h = await handlerFor({ root, webdav: true, users, allow: RULES, compress: false });
  return {
    root,
    h,
    async [Symbol.asyncDispose]() {
      await h[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** What a request got. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

/** Sends `method path` as `user` (null: anonymous). */
export async function send(
  h: HandlerUnderTest,
  user: string | null,
  method: string,
  path: string,
  o: { headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  const headers = new Headers(o.headers);
  if (user !== null) {
    headers.set("authorization", `Basic ${btoa(`${user}:${PASSWORDS[user] ?? "guess"}`)}`);
  }
  const res = await h.fetch(path, { method, headers, body: o.body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A PROPPATCH setting one dead property. */
export const PROPPATCH_BODY =
  `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" ` +
  `xmlns:x="urn:x"><D:set><D:prop><x:tag>mine</x:tag></D:prop></D:set></D:propertyupdate>`;

/** The body each method is sent with in the tables. */
export function bodyOf(method: string): string | undefined {
  if (method === "PUT") return "new content";
  if (method === "PROPPATCH") return PROPPATCH_BODY;
  if (method === "LOCK") return lockBody();
  return undefined;
}

/** The hrefs of a multistatus, sorted. */
export function hrefs(text: string): string[] {
  return [...text.matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]).sort();
}

/**
 * Everything in the library, hidden state included (dead properties, locks),
 * as sorted `path` (folders) and `path=content` (files) lines.
 */
export async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(`${root}/${rel}`)) {
      const path = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory) {
        out.push(path + "/");
        await walk(path);
      } else out.push(`${path}=${await Deno.readTextFile(`${root}/${path}`)}`);
    }
  };
  await walk("");
  return out.sort();
}

/** Asserts a refusal's status and its challenge: 401 has one, 403 none. */
export function assertRefused(r: Reply, want: 401 | 403, what: string): void {
  assert.equal(r.status, want, `${what}: ${r.text}`);
  assert.equal(r.headers.has("www-authenticate"), want === 401, `${what}: the challenge`);
}

/** A user's name in messages. */
export const who = (user: string | null) => user ?? "anonymous";

/** One COPY or MOVE case: who, from, to, extra headers, the status. */
export type Transfer = [string | null, string, string, Record<string, string>, number];

/**
 * Runs COPY or MOVE cases: a refusal must leave the library as it was, an
 * answer that lets it happen must bring the destination (and, for a MOVE,
 * take the source away).
 */
export async function transfers(fx: Fixture, method: "COPY" | "MOVE", table: Transfer[]) {
  for (const [user, from, to, extra, want] of table) {
    const what = `${who(user)} ${method} ${from} -> ${to}`;
    const before = await snapshot(fx.root);
    const r = await send(fx.h, user, method, from, { headers: { destination: to, ...extra } });
    if (want === 401 || want === 403) {
      assertRefused(r, want, what);
      // The destination's folder is read again: nothing arrived, nothing left.
      assert.deepEqual(await snapshot(fx.root), before, `${what} changed the library`);
    } else {
      assert.equal(r.status, want, `${what}: ${r.text}`);
      await Deno.lstat(`${fx.root}${to}`); // arrived
      const left = await Deno.lstat(`${fx.root}${from}`).then(() => true, () => false);
      assert.equal(left, method === "COPY", `${what}: the source`);
    }
  }
}
