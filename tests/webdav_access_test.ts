/**
 * WebDAV under per-path rules (`--webdav --users FILE --allow ...`), as
 * `Request -> Response` through the whole handler: what an attacker of a
 * file server tries. PROPFIND shows only what may be read (and nothing in a
 * drop box); every write needs its permission where it lands, a folder's
 * DELETE, MOVE or COPY on everything inside it, a replacement `d` as well;
 * 401 with a challenge only where signing in could help; a lock is its
 * taker's; a share link keeps WebDAV inside its folder. Every refused write
 * is checked on disk: the library is read before and after. The library and
 * its rules are in `webdav_access_fixture.ts`.
 */

import assert from "node:assert/strict";
import { ShareSecrets } from "../core/access/share_secret.ts";
import { SHARE_PREFIX, signShare } from "../core/access/share_token.ts";
import { handlerFor } from "./http_handler_helpers.ts";
import { tempDir } from "./temp_dir.ts";
import {
  assertRefused,
  bodyOf,
  fixture,
  hrefs,
  PASSWORDS,
  PROPPATCH_BODY,
  send,
  snapshot,
  transfers,
  who,
} from "./webdav_access_fixture.ts";
import { lockBody } from "./webdav_helpers.ts";

Deno.test("webdav access: PROPFIND Depth 1 lists only what the user may see", async () => {
  await using fx = await fixture();
  const table: [string | null, string, string[]][] = [
    [null, "/", ["/", "/drop/", "/pub.txt", "/pub/"]],
    ["bob", "/", ["/", "/drop/", "/pub.txt", "/pub/", "/team/", "/uploads/"]],
    ["alice", "/", ["/", "/drop/", "/private/", "/pub.txt", "/pub/", "/team/", "/uploads/"]],
    ["bob", "/team/", ["/team/", "/team/archive/", "/team/notes.txt", "/team/project/"]],
    ["bob", "/team/project/", [
      "/team/project/",
      "/team/project/final/",
      "/team/project/plan.txt",
    ]],
  ];
  for (const [user, path, want] of table) {
    const r = await send(fx.h, user, "PROPFIND", path, { headers: { depth: "1" } });
    assert.equal(r.status, 207, `${who(user)} ${path}`);
    assert.deepEqual(hrefs(r.text), want, `${who(user)} ${path}`);
  }
});

Deno.test("webdav access: PROPFIND Depth 0 of what a user may not see answers as GET does", async () => {
  await using fx = await fixture();
  const table: [string | null, string, 401 | 403 | 404][] = [
    [null, "/private/p.txt", 401], // alice could read it: signing in may help
    [null, "/private/", 401],
    ["bob", "/private/p.txt", 403],
    ["bob", "/private/", 403],
    ["bob", "/team/project/secret/", 403],
    ["bob", "/team/project/secret/key.txt", 403],
    [null, "/team/project/secret/key.txt", 403], // nobody may: no challenge
    [null, "/drop/earlier.txt", 403], // a drop box's content cannot be read back
    ["alice", "/private/missing.txt", 404], // she may read there: the truth
  ];
  for (const [user, path, want] of table) {
    const what = `${who(user)} ${path}`;
    const prop = await send(fx.h, user, "PROPFIND", path, { headers: { depth: "0" } });
    const get = await send(fx.h, user, "GET", path);
    assert.equal(prop.status, want, `PROPFIND ${what}`);
    assert.equal(get.status, want, `GET ${what}`);
    assert.equal(prop.headers.has("www-authenticate"), want === 401, `PROPFIND ${what}`);
    const name = path.split("/").filter(Boolean).at(-1)!;
    assert.ok(!prop.text.includes(name), `PROPFIND ${what} names it: ${prop.text}`);
  }
});

Deno.test("webdav access: a drop box takes uploads, but PROPFIND lists nothing in it", async () => {
  await using fx = await fixture();
  const listing = async (user: string | null, path: string) => {
    const r = await send(fx.h, user, "PROPFIND", path, { headers: { depth: "1" } });
    assert.equal(r.status, 207, `${who(user)} ${path}`);
    return hrefs(r.text);
  };
  assert.equal((await send(fx.h, null, "PUT", "/drop/new.txt", { body: "mine" })).status, 201);
  assert.equal(await Deno.readTextFile(`${fx.root}/drop/new.txt`), "mine");
  for (const user of [null, "alice", "bob"]) {
    // Neither its files nor its folders: only the folder itself, for clients to upload into.
    assert.deepEqual(await listing(user, "/drop/"), ["/drop/"], who(user));
    assert.deepEqual(await listing(user, "/drop/sub/"), ["/drop/sub/"], who(user));
  }
  assertRefused(
    await send(fx.h, null, "PROPFIND", "/drop/new.txt", { headers: { depth: "0" } }),
    403,
    "PROPFIND of a dropped file",
  );
});

Deno.test("webdav access: PUT, MKCOL, PROPPATCH and LOCK need w where they land; replacing needs d", async () => {
  await using fx = await fixture();
  const table: [string | null, string, string, number][] = [
    [null, "PUT", "/pub/new.txt", 403], // nobody writes at /
    ["bob", "PUT", "/team/archive/new.txt", 403],
    ["bob", "MKCOL", "/team/archive/new", 403],
    ["bob", "PROPPATCH", "/team/archive/old.txt", 403],
    ["bob", "LOCK", "/team/archive/old.txt", 403],
    ["bob", "LOCK", "/team/archive/unmapped.txt", 403], // would create the file
    ["bob", "PUT", "/team/project/secret/new.txt", 403],
    ["bob", "PUT", "/private/new.txt", 403],
    [null, "MKCOL", "/uploads/new", 401],
    [null, "PROPPATCH", "/uploads/u.txt", 401],
    ["bob", "PUT", "/uploads/u.txt", 403], // rw without d: no replacing
    ["alice", "PUT", "/uploads/u.txt", 403],
    [null, "PUT", "/drop/earlier.txt", 403], // nobody may overwrite a drop box's uploads
    ["bob", "PUT", "/team/new.txt", 201],
    ["bob", "PUT", "/team/notes.txt", 204], // bob has d there
    ["bob", "MKCOL", "/team/new", 201],
    ["bob", "PROPPATCH", "/team/notes.txt", 207],
    ["bob", "LOCK", "/team/unmapped.txt", 201],
    ["bob", "PUT", "/uploads/new.txt", 201],
    [null, "PUT", "/drop/new.txt", 201],
    [null, "MKCOL", "/drop/new", 201],
  ];
  for (const [user, method, path, want] of table) {
    const what = `${who(user)} ${method} ${path}`;
    const before = await snapshot(fx.root);
    const r = await send(fx.h, user, method, path, { body: bodyOf(method) });
    if (want === 401 || want === 403) {
      assertRefused(r, want, what);
      assert.deepEqual(await snapshot(fx.root), before, `${what} changed the library`);
    } else {
      assert.equal(r.status, want, `${what}: ${r.text}`);
      assert.notDeepEqual(await snapshot(fx.root), before, `${what} changed nothing`);
    }
  }
  assert.equal(await Deno.readTextFile(`${fx.root}/uploads/u.txt`), "bob's upload");
  assert.equal(await Deno.readTextFile(`${fx.root}/drop/earlier.txt`), "someone's upload");
});

Deno.test("webdav access: DELETE needs d on what it removes, all of a folder included", async () => {
  await using fx = await fixture();
  const table: [string | null, string, number][] = [
    [null, "/pub.txt", 403],
    [null, "/drop/earlier.txt", 403],
    [null, "/team/notes.txt", 401],
    ["bob", "/team/archive/old.txt", 403],
    ["bob", "/team/archive", 403],
    ["bob", "/uploads/u.txt", 403],
    ["bob", "/private/p.txt", 403],
    // bob may delete in /team/project, but not its final/ (r) nor its secret/ (nothing).
    ["bob", "/team/project", 403],
    ["bob", "/team/project/plan.txt", 204],
    ["alice", "/private", 204],
  ];
  for (const [user, path, want] of table) {
    const what = `${who(user)} DELETE ${path}`;
    const before = await snapshot(fx.root);
    const r = await send(fx.h, user, "DELETE", path);
    if (want === 204) {
      assert.equal(r.status, 204, `${what}: ${r.text}`);
      await assert.rejects(Deno.lstat(`${fx.root}${path}`), Deno.errors.NotFound, what);
    } else {
      assertRefused(r, want as 401 | 403, what);
      assert.deepEqual(await snapshot(fx.root), before, `${what} changed the library`);
    }
  }
});

Deno.test("webdav access: MOVE needs d on the source and w on the destination, whole trees", async () => {
  await using fx = await fixture();
  await transfers(fx, "MOVE", [
    ["bob", "/team/notes.txt", "/team/archive/notes.txt", {}, 403], // no w there
    ["bob", "/team/notes.txt", "/private/notes.txt", {}, 403],
    ["bob", "/team/notes.txt", "/pub/notes.txt", {}, 403],
    ["bob", "/team/archive/old.txt", "/team/old.txt", {}, 403], // no d at the source
    ["bob", "/uploads/u.txt", "/team/u.txt", {}, 403],
    [null, "/drop/earlier.txt", "/drop/mine.txt", {}, 403],
    [null, "/team/notes.txt", "/team/moved.txt", {}, 401],
    // Its final/ and secret/ are not bob's to move away.
    ["bob", "/team/project", "/team/moved", {}, 403],
    // Overwrite: T would take uploads/u.txt away: alice has no d there.
    ["alice", "/private/p.txt", "/uploads/u.txt", {}, 403],
    ["bob", "/team/notes.txt", "/team/moved.txt", {}, 201],
    ["alice", "/private/p.txt", "/team/p.txt", {}, 201],
  ]);
  assert.equal(await Deno.readTextFile(`${fx.root}/team/moved.txt`), "notes");
});

Deno.test("webdav access: COPY needs r on the source and w on the destination, whole trees", async () => {
  await using fx = await fixture();
  await transfers(fx, "COPY", [
    ["bob", "/private/p.txt", "/team/p.txt", {}, 403], // no r at the source
    [null, "/drop/earlier.txt", "/drop/copy.txt", {}, 403],
    ["bob", "/pub.txt", "/team/archive/pub.txt", {}, 403], // no w at the destination
    ["bob", "/pub.txt", "/private/pub.txt", {}, 403],
    [null, "/pub.txt", "/uploads/pub.txt", {}, 401], // bob could: signing in helps
    // Overwrite: T would replace someone's upload in the drop box.
    [null, "/pub.txt", "/drop/earlier.txt", {}, 403],
    // Depth infinity would copy secret/ to where bob can read it.
    ["bob", "/team/project", "/team/copy", {}, 403],
    ["bob", "/team/project", "/team/copy", { depth: "0" }, 201], // the folder alone
    [null, "/pub.txt", "/drop/pub.txt", {}, 201],
    ["bob", "/pub.txt", "/team/pub.txt", {}, 201],
  ]);
  assert.deepEqual([...Deno.readDirSync(`${fx.root}/team/copy`)], []);
  assert.equal(await Deno.readTextFile(`${fx.root}/drop/earlier.txt`), "someone's upload");
});

Deno.test("webdav access: 401 with a challenge where signing in helps, 403 where it cannot", async () => {
  await using fx = await fixture();
  const dest = (to: string) => ({ headers: { destination: to } });
  // Each refused anonymously with a challenge, then done once signed in as bob.
  const helps: [string, string, { headers?: Record<string, string> }, number][] = [
    ["PROPFIND", "/uploads/", { headers: { depth: "1" } }, 207],
    ["PUT", "/uploads/new.txt", {}, 201],
    ["PROPPATCH", "/team/notes.txt", {}, 207],
    ["LOCK", "/team/locked.txt", {}, 201],
    ["MKCOL", "/team/new", {}, 201],
    ["COPY", "/pub.txt", dest("/uploads/pub.txt"), 201],
    ["MOVE", "/team/notes.txt", dest("/team/moved.txt"), 201],
    ["DELETE", "/team/new", {}, 204],
  ];
  for (const [method, path, o, signedIn] of helps) {
    const body = bodyOf(method);
    const anon = await send(fx.h, null, method, path, { ...o, body });
    assertRefused(anon, 401, `anonymous ${method} ${path}`);
    const r = await send(fx.h, "bob", method, path, { ...o, body });
    assert.equal(r.status, signedIn, `bob ${method} ${path}: ${r.text}`);
  }
  // Nobody signed in may either: a challenge would be a lie.
  const never: [string | null, string, string, Record<string, string>][] = [
    [null, "PROPPATCH", "/pub.txt", {}],
    [null, "DELETE", "/pub.txt", {}],
    [null, "MKCOL", "/team/archive/new", {}],
    [null, "COPY", "/pub.txt", { destination: "/team/archive/pub.txt" }],
    // Signing in would help at the folder, but a deeper rule refuses everyone.
    [null, "DELETE", "/team/project", {}],
    [null, "MOVE", "/team/project", { destination: "/team/p2" }],
    [null, "LOCK", "/team", {}],
    ["bob", "PUT", "/private/new.txt", {}],
    ["bob", "PROPFIND", "/private/", { depth: "1" }],
    ["bob", "COPY", "/pub.txt", { destination: "/private/pub.txt" }],
  ];
  for (const [user, method, path, headers] of never) {
    const r = await send(fx.h, user, method, path, { headers, body: bodyOf(method) });
    assertRefused(r, 403, `${who(user)} ${method} ${path}`);
  }
  // A wrong password is asked again.
  assertRefused(
    await send(fx.h, "mallory", "PROPFIND", "/", { headers: { depth: "0" } }),
    401,
    "mallory",
  );
});

Deno.test("webdav access: a lock is its taker's: another user can neither use its token nor UNLOCK it", async () => {
  await using fx = await fixture();
  const taken = await send(fx.h, "alice", "LOCK", "/team/notes.txt", { body: lockBody() });
  assert.equal(taken.status, 200, taken.text);
  const token = taken.headers.get("lock-token")!.replace(/^<|>$/g, "");
  assert.match(token, /^urn:uuid:/);
  const withToken = { if: `(<${token}>)` };
  const before = await snapshot(fx.root);
  const tries: [string, Record<string, string>, string | undefined, number][] = [
    ["PUT", withToken, "bob's", 423],
    ["PROPPATCH", withToken, PROPPATCH_BODY, 423],
    ["DELETE", withToken, undefined, 423],
    ["MOVE", { ...withToken, destination: "/team/bobs.txt" }, undefined, 423],
    ["LOCK", withToken, undefined, 403], // a refresh
  ];
  for (const [method, headers, body, want] of tries) {
    const r = await send(fx.h, "bob", method, "/team/notes.txt", { headers, body });
    assert.equal(r.status, want, `bob ${method} with alice's token: ${r.text}`);
  }
  const unlock = await send(fx.h, "bob", "UNLOCK", "/team/notes.txt", {
    headers: { "lock-token": `<${token}>` },
  });
  assert.equal(unlock.status, 403, unlock.text);
  assert.deepEqual(await snapshot(fx.root), before, "bob changed something");
  // Still alice's: without the token she is refused too, with it she writes.
  const put = (user: string, headers = {}) =>
    send(fx.h, user, "PUT", "/team/notes.txt", { headers, body: `${user}'s` });
  assert.equal((await put("alice")).status, 423);
  assert.equal((await put("alice", withToken)).status, 204);
  const own = await send(fx.h, "alice", "UNLOCK", "/team/notes.txt", {
    headers: { "lock-token": `<${token}>` },
  });
  assert.equal(own.status, 204);
  assert.equal((await put("bob")).status, 204);
  assert.equal(await Deno.readTextFile(`${fx.root}/team/notes.txt`), "bob's");
});

Deno.test("webdav access: a Depth infinity LOCK needs w on the whole tree it would lock", async () => {
  await using fx = await fixture();
  // /team/alice is alice's alone: bob locking /team must not shut her out of it.
  assertRefused(await send(fx.h, "bob", "LOCK", "/team/", { body: lockBody() }), 403, "bob");
  const put = await send(fx.h, "alice", "PUT", "/team/alice/a.txt", { body: "still hers" });
  assert.equal(put.status, 204, put.text);
  // Depth 0 locks /team's own membership, which bob may change.
  const own = await send(fx.h, "bob", "LOCK", "/team/", {
    headers: { depth: "0" },
    body: lockBody(),
  });
  assert.equal(own.status, 200, own.text);
  const inside = await send(fx.h, "alice", "PUT", "/team/alice/a.txt", { body: "hers again" });
  assert.equal(inside.status, 204, inside.text);
});

Deno.test("webdav access: a share link serves no WebDAV method, and its grant stays inside", async () => {
  await using fx = await fixture();
  const secret = new ShareSecrets(fx.root).current();
  const link = (path: string[], rights: "r" | "w", creator: string | null) =>
    `${SHARE_PREFIX}${
      signShare({ path, rights, expires: Date.now() + 3_600_000, creator }, secret)
    }/`;
  // A read link bob made to /team/project: his rights end there too (no secret/).
  const read = link(["team", "project"], "r", "bob");
  const up = link(["uploads"], "w", null);
  const before = await snapshot(fx.root);
  // WebDAV's own methods: 405, whatever the link; so no multistatus or lock root
  // ever names the library's own paths, and no holder takes a lock all holders share.
  for (const [base, allow] of [[read, "GET, HEAD"], [up, "GET, HEAD, PUT, PATCH, POST, MKCOL"]]) {
    for (
      const [method, rest, headers] of [
        ["PROPFIND", "", { depth: "1" }],
        ["PROPFIND", "secret/", { depth: "0" }],
        ["COPY", "plan.txt", { destination: "/team/plan.txt" }],
        ["MOVE", "plan.txt", { destination: "/team/plan.txt" }],
        ["PROPPATCH", "plan.txt", {}],
        ["LOCK", "plan.txt", {}],
        ["UNLOCK", "plan.txt", { "lock-token": "<urn:uuid:x>" }],
      ] as [string, string, Record<string, string>][]
    ) {
      const r = await send(fx.h, null, method, base + rest, { headers, body: bodyOf(method) });
      assert.equal(r.status, 405, `${method} ${rest} through a link: ${r.text}`);
      assert.equal(r.headers.get("allow"), allow);
      assert.doesNotMatch(r.text, /\/team|\/uploads/, "the answer names no library path");
    }
  }
  // What plain HTTP may do through a read link stays inside it and reads only.
  assert.equal((await send(fx.h, null, "GET", `${read}plan.txt`)).status, 200);
  for (
    const [method, rest] of [["GET", "secret/key.txt"], ["DELETE", "plan.txt"], [
      "PUT",
      "new.txt",
    ], ["MKCOL", "new"]]
  ) {
    const r = await send(fx.h, null, method, read + rest, { body: bodyOf(method) });
    // A link's holder has no account to sign in with: never a challenge.
    assertRefused(r, 403, `${method} ${rest} through a read link`);
  }
  assert.deepEqual(await snapshot(fx.root), before, "a read link changed the library");

  // An upload link to /uploads: new files only, nothing read or replaced.
  assert.equal((await send(fx.h, null, "PUT", `${up}new.bin`, { body: "new" })).status, 201);
  assert.equal(await Deno.readTextFile(`${fx.root}/uploads/new.bin`), "new");
  const after = await snapshot(fx.root);
  for (const [method, rest] of [["PUT", "u.txt"], ["DELETE", "new.bin"], ["GET", "new.bin"]]) {
    const r = await send(fx.h, null, method, up + rest, { body: bodyOf(method) });
    assertRefused(r, 403, `${method} ${rest} through an upload link`);
  }
  assert.deepEqual(await snapshot(fx.root), after, "an upload link changed the library");
});

Deno.test("webdav access: without rules, --upload alone lets PUT and COPY replace, as before", async () => {
  await using dir = await tempDir("davacc-");
  const root = dir.join("root");
  await Deno.mkdir(root);
  await Deno.writeTextFile(`${root}/a.txt`, "old");
  await Deno.writeTextFile(`${root}/b.txt`, "b");
  await using h = await handlerFor({
    root,
    webdav: true,
    upload: true,
    auth: `alice:${PASSWORDS.alice}`,
    compress: false,
  });
  assert.equal((await send(h, "alice", "PUT", "/a.txt", { body: "new" })).status, 204);
  assert.equal(await Deno.readTextFile(`${root}/a.txt`), "new");
  const copy = await send(h, "alice", "COPY", "/b.txt", { headers: { destination: "/a.txt" } });
  assert.equal(copy.status, 204, copy.text);
  assert.equal(await Deno.readTextFile(`${root}/a.txt`), "b");
  assert.equal((await send(h, "alice", "DELETE", "/a.txt")).status, 405); // --delete is off
});
