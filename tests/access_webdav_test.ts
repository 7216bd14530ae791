/**
 * The access table over WebDAV against a real server: PROPFIND, COPY,
 * MOVE, PROPPATCH, MKCOL and DELETE by anonymous, bob and alice under the
 * rules of `access_services_test.ts`; what is refused leaves the disk alone.
 * (Every method, tree and lock case, through the handler:
 * `webdav_access_test.ts`.)
 */

import assert from "node:assert/strict";
import { serve } from "./http_helpers.ts";
import { tempDir } from "./temp_dir.ts";
import { basic, haveHtpasswd, HTTP_RULES, PASSWORDS, rulesLibrary } from "./access_helpers.ts";

const HAVE_HTPASSWD = await haveHtpasswd();

Deno.test({
  name: "access table: WebDAV PROPFIND/COPY/MOVE/PROPPATCH/DELETE against the rules",
  ignore: !HAVE_HTPASSWD,
  async fn() {
    await using dir = await tempDir("access-dav-");
    const { root, users } = await rulesLibrary(dir);
    await using s = await serve({ root, users, allow: HTTP_RULES, webdav: true, overwrite: true });
    const send = async (user: string | null, method: string, path: string, extra = {}) => {
      const headers: Record<string, string> = { ...extra };
      if (user) headers.authorization = basic(user, PASSWORDS[user]);
      const r = await fetch(s.url + path.slice(1), { method, headers });
      return { status: r.status, text: await r.text() };
    };
    const dest = (path: string) => ({ destination: s.url + path.slice(1) });
    const prop = `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z">` +
      `<D:set><D:prop><Z:tag>x</Z:tag></D:prop></D:set></D:propertyupdate>`;
    const table: [string | null, string, string, Record<string, string>, number][] = [
      [null, "COPY", "/pub.txt", dest("/uploads/c.txt"), 401],
      ["bob", "COPY", "/pub.txt", dest("/uploads/c.txt"), 201],
      ["bob", "COPY", "/pub.txt", dest("/private/c.txt"), 403], // no w there
      ["bob", "COPY", "/private/p.txt", dest("/uploads/p.txt"), 403], // no r on the source
      ["alice", "COPY", "/pub.txt", dest("/uploads/c.txt"), 403], // replacing needs d
      [null, "COPY", "/drop/earlier.txt", dest("/drop/copy.txt"), 403], // the drop box is not readable
      ["bob", "MOVE", "/uploads/u.txt", dest("/uploads/v.txt"), 403], // no d on the source
      ["alice", "MOVE", "/private/p.txt", dest("/pub.txt"), 403], // no w at /
      ["alice", "MOVE", "/private/p.txt", dest("/uploads/p.txt"), 201],
      ["bob", "PROPPATCH", "/uploads/u.txt", { "content-type": "text/xml" }, 207],
      [null, "PROPPATCH", "/pub.txt", { "content-type": "text/xml" }, 403],
      ["bob", "DELETE", "/uploads/c.txt", {}, 403],
      ["alice", "MKCOL", "/private/sub", {}, 201],
      ["alice", "DELETE", "/private/sub", {}, 204],
    ];
    for (const [user, method, path, extra, want] of table) {
      const headers = { ...extra };
      if (method === "PROPPATCH") {
        const r = await fetch(s.url + path.slice(1), {
          method,
          body: prop,
          headers: user ? { ...headers, authorization: basic(user, PASSWORDS[user]) } : headers,
        });
        await r.body?.cancel();
        assert.equal(r.status, want, `${user ?? "anonymous"} ${method} ${path}`);
        continue;
      }
      const r = await send(user, method, path, headers);
      assert.equal(r.status, want, `${user ?? "anonymous"} ${method} ${path} -> ${extra}`);
    }
    // What was refused left the disk alone; what was allowed happened.
    assert.deepEqual(
      [...Deno.readDirSync(`${root}/uploads`)].map((e) => e.name).sort(),
      [".netkit-props", "c.txt", "p.txt", "u.txt"], // bob's property is kept beside u.txt
    );
    assert.deepEqual([...Deno.readDirSync(`${root}/private`)].map((e) => e.name), []);
    assert.equal(await Deno.readTextFile(`${root}/pub.txt`), "public");
    // PROPFIND lists only what each may see; the drop box lists nothing.
    const listed = async (user: string | null, path: string) => {
      const r = await send(user, "PROPFIND", path, { depth: "1" });
      assert.equal(r.status, 207, `${user} PROPFIND ${path}`);
      return [...r.text.matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]).sort();
    };
    assert.deepEqual(await listed(null, "/"), ["/", "/drop/", "/pub.txt"]);
    assert.deepEqual(await listed("bob", "/"), ["/", "/drop/", "/pub.txt", "/uploads/"]);
    assert.deepEqual(await listed("alice", "/"), [
      "/",
      "/drop/",
      "/private/",
      "/pub.txt",
      "/uploads/",
    ]);
    // The drop box answers for itself (a client must see it to upload), never its entries.
    assert.deepEqual(await listed(null, "/drop/"), ["/drop/"]);
    assert.equal((await send(null, "PROPFIND", "/private/", { depth: "0" })).status, 401);
    assert.equal((await send("bob", "PROPFIND", "/private/", { depth: "0" })).status, 403);
  },
});
