/**
 * One rule engine, every service: tables of (rule set, user, method, path)
 * → allowed or refused, run against the real HTTP, file-service and TFTP
 * servers (WebDAV's in `access_webdav_test.ts`), with accounts from a real `htpasswd -B` file; listings and
 * archives checked for the names they must not show.
 */

import assert from "node:assert/strict";
import { serve } from "./http_helpers.ts";
import { serve as serveFiles, tempDir as fileTempDir } from "./file_helpers.ts";
import { tempDir } from "./temp_dir.ts";
import { runNetkit, startNetkitServer } from "./cli_helpers.ts";
import { htpasswd, reloadWhere } from "./users_helpers.ts";
import {
  basic,
  haveHtpasswd,
  HTTP_RULES,
  PASSWORDS,
  rulesLibrary,
  usersFile,
} from "./access_helpers.ts";
import { FileClient } from "../client/client.ts";
import { startTftpServer } from "../tftp/server.ts";
import { decodePacket, encodePacket } from "../protocol/tftp/packet.ts";

const HAVE_HTPASSWD = await haveHtpasswd();

Deno.test({
  name: "access table: HTTP GET/HEAD/PUT/DELETE/MKCOL against the rules",
  ignore: !HAVE_HTPASSWD,
  async fn() {
    await using dir = await tempDir("access-");
    const { root, users } = await rulesLibrary(dir);
    await using s = await serve({ root, users, allow: HTTP_RULES, overwrite: true });
    const table: [string | null, string, string, number][] = [
      [null, "GET", "/pub.txt", 200],
      [null, "HEAD", "/pub.txt", 200],
      [null, "GET", "/uploads/u.txt", 401],
      ["bob", "GET", "/uploads/u.txt", 200],
      ["bob", "GET", "/private/p.txt", 403],
      ["alice", "GET", "/private/p.txt", 200],
      [null, "PUT", "/pub2.txt", 403], // nobody may write at /
      ["alice", "PUT", "/pub2.txt", 403],
      [null, "PUT", "/uploads/n.txt", 401],
      ["bob", "PUT", "/uploads/n.txt", 201],
      ["alice", "PUT", "/uploads/n.txt", 403], // replacing needs d
      ["alice", "PUT", "/private/n.txt", 201],
      ["alice", "PUT", "/private/n.txt", 201], // replaced: she has d there
      [null, "PUT", "/drop/a.txt", 201],
      [null, "GET", "/drop/a.txt", 403],
      [null, "PUT", "/drop/a.txt", 403], // replacing takes d, which the drop box does not give
      ["bob", "MKCOL", "/uploads/sub", 201],
      [null, "MKCOL", "/drop/sub", 201],
      ["bob", "MKCOL", "/private/sub", 403],
      ["bob", "DELETE", "/uploads/u.txt", 403],
      ["alice", "DELETE", "/private/p.txt", 204],
      [null, "DELETE", "/pub.txt", 403],
      ["mallory", "GET", "/pub.txt", 401], // unknown user: wrong credentials
    ];
    for (const [user, method, path, want] of table) {
      const headers: Record<string, string> = {};
      if (user) headers.authorization = basic(user, PASSWORDS[user] ?? "guess");
      const r = await fetch(s.url + path.slice(1), {
        method,
        headers,
        body: method === "PUT" ? "data" : undefined,
      });
      await r.body?.cancel();
      assert.equal(r.status, want, `${user ?? "anonymous"} ${method} ${path}`);
    }
    assert.equal(await Deno.readTextFile(`${root}/drop/a.txt`), "data");
  },
});

Deno.test({
  name: "access: listings and archives show only what the user may read",
  ignore: !HAVE_HTPASSWD,
  async fn() {
    await using dir = await tempDir("access-");
    const root = dir.join("root");
    for (const d of ["root", "root/uploads", "root/drop", "root/private", "root/pub"]) {
      await Deno.mkdir(dir.join(d));
    }
    await Deno.writeTextFile(`${root}/pub/readme.txt`, "public");
    await Deno.writeTextFile(`${root}/uploads/u-secret.txt`, "u");
    await Deno.writeTextFile(`${root}/private/p-secret.txt`, "p");
    await Deno.writeTextFile(`${root}/drop/d-secret.txt`, "d");
    const users = await usersFile(dir.path, ["alice", "bob"]);
    await using s = await serve({ root, users, allow: HTTP_RULES });
    const get = async (path: string, user: string | null, accept = "application/json") => {
      const headers: Record<string, string> = { accept };
      if (user) headers.authorization = basic(user, PASSWORDS[user]);
      const r = await fetch(s.url + path, { headers });
      return { status: r.status, text: await r.text(), bytes: null };
    };
    const names = async (path: string, user: string | null) =>
      (JSON.parse((await get(path, user)).text).entries as { name: string }[]).map((e) => e.name);
    assert.deepEqual(await names("", null), ["drop", "pub"]);
    assert.deepEqual(await names("", "bob"), ["drop", "pub", "uploads"]);
    assert.deepEqual(await names("", "alice"), ["drop", "private", "pub", "uploads"]);
    // The drop box lists nothing, to anyone; its page still offers the upload box.
    assert.deepEqual(await names("drop/", null), []);
    assert.deepEqual(await names("drop/", "alice"), []);
    const page = await get("drop/", null, "text/html");
    assert.equal(page.status, 200);
    assert.ok(!page.text.includes("d-secret"));
    assert.ok(page.text.includes("drop box") && page.text.includes(`id="up"`));
    assert.equal((await get("drop/?archive=zip", null)).status, 403);
    // Archives of the root: only readable files, whoever asks.
    for (
      const [user, want] of [[null, ["pub/readme.txt"]], ["alice", [
        "pub/readme.txt",
        "private/p-secret.txt",
        "uploads/u-secret.txt",
      ]]] as const
    ) {
      const headers: Record<string, string> = user
        ? { authorization: basic(user, PASSWORDS[user]) }
        : {};
      const r = await fetch(s.url + "?archive=tar.gz", { headers });
      assert.equal(r.status, 200);
      const tar = new Uint8Array(
        await new Response(r.body!.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
      );
      const text = new TextDecoder("latin1").decode(tar);
      for (const secret of ["u-secret", "p-secret", "d-secret"]) {
        const shouldHave = (want as readonly string[]).some((w) => w.includes(secret));
        assert.equal(text.includes(secret), shouldHave, `${user ?? "anonymous"}: ${secret}`);
      }
      assert.ok(text.includes("readme.txt"));
    }
  },
});

Deno.test({
  name: "access: a user added to the htpasswd file while the server runs signs in after the reload",
  ignore: !HAVE_HTPASSWD,
  async fn() {
    await using dir = await tempDir("access-");
    const root = dir.join("root");
    await Deno.mkdir(root);
    await Deno.writeTextFile(`${root}/f.txt`, "f");
    const users = await usersFile(dir.path, ["alice"]);
    await using s = await serve({ root, users, allow: ["/:r:*"] });
    const as = (user: string) =>
      fetch(s.url + "f.txt", { headers: { authorization: basic(user, PASSWORDS[user]) } }).then(
        async (r) => (await r.body?.cancel(), r.status),
      );
    assert.equal(await as("alice"), 200);
    assert.equal(await as("bob"), 401);
    const reloaded = reloadWhere(s.users!, (d) => d.ok && d.users === 2);
    await htpasswd("-bB", users, "bob", PASSWORDS.bob);
    await reloaded;
    assert.equal(await as("bob"), 200);
  },
});

Deno.test({
  name: "access table: the file service, signing in as a user in HELLO",
  ignore: !HAVE_HTPASSWD,
  async fn() {
    await using lib = await fileTempDir({ "pub.txt": "pub", "secret.txt": "secret" });
    await using dir = await tempDir("access-");
    const users = await usersFile(dir.path, ["alice", "bob"]);
    await using server = await serveFiles(lib.path, {
      users,
      allow: ["/:r:-", "/:rw:alice", "/secret.txt:r:alice", "/inbox.bin:w:-"],
    });
    const as = (user: string | null, password?: string) =>
      FileClient.connect({
        port: server.addr.port,
        user: user ?? undefined,
        token: user ? (password ?? PASSWORDS[user]) : undefined,
      });
    await using local = await fileTempDir({ "up.bin": "up" });
    const code = (p: Promise<unknown>) => p.then(() => "ok", (e) => (e as { code?: string }).code);
    {
      await using anon = await as(null);
      assert.ok(anon.welcome.features & 256); // USERS
      assert.deepEqual((await anon.list()).map((e) => e.name), ["pub.txt"]);
      assert.equal(await code(anon.download("pub.txt", local.join("p1"))), "ok");
      assert.equal(await code(anon.download("secret.txt", local.join("s1"))), "UNAUTHORIZED");
      assert.equal(await code(anon.upload(local.join("up.bin"), "new.bin")), "UNAUTHORIZED");
      assert.equal(await code(anon.upload(local.join("up.bin"), "inbox.bin")), "ok");
    }
    {
      await using alice = await as("alice");
      assert.deepEqual((await alice.list()).map((e) => e.name), ["pub.txt", "secret.txt"]);
      assert.equal(await code(alice.download("secret.txt", local.join("s2"))), "ok");
      assert.equal(await code(alice.upload(local.join("up.bin"), "new.bin")), "ok");
      assert.equal(
        await code(alice.upload(local.join("up.bin"), "new.bin", { overwrite: true })),
        "FORBIDDEN",
      );
    }
    {
      await using bob = await as("bob");
      assert.deepEqual((await bob.list()).map((e) => e.name), ["new.bin", "pub.txt"]);
      assert.equal(await code(bob.download("secret.txt", local.join("s3"))), "FORBIDDEN");
      assert.equal(await code(bob.upload(local.join("up.bin"), "b.bin")), "FORBIDDEN");
    }
    assert.equal(await code(as("bob", "wrong")), "UNAUTHORIZED");
    assert.equal(await code(as("mallory", "x")), "UNAUTHORIZED");
  },
});

/** Sends one TFTP request from `local` and returns the first answer's opcode (and error code). */
async function tftpAsk(
  server: Deno.NetAddr,
  local: string,
  op: "RRQ" | "WRQ",
  filename: string,
): Promise<string> {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: local, port: 0 });
  using _closed = { [Symbol.dispose]: () => conn.close() };
  await conn.send(encodePacket({ op, filename, mode: "octet", options: new Map() }), server);
  const buf = new Uint8Array(70_000);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const got = await Promise.race([
    conn.receive(buf),
    new Promise<null>((r) => timer = setTimeout(r, 5000, null)),
  ]).finally(() => clearTimeout(timer));
  if (got === null) return "silence";
  const p = decodePacket(got[0]);
  if (p.op === "ERROR") return `ERROR ${p.code}`;
  if (p.op === "ACK" || p.op === "DATA") {
    // Be a polite peer: end the transfer (an ERROR from us closes it at once).
    await conn.send(encodePacket({ op: "ERROR", code: 0, message: "done" }), got[1]);
  }
  return p.op;
}

Deno.test({
  name: "access table: TFTP reads and writes by client address range",
  ignore: Deno.build.os !== "linux", // 127.0.0.2 as a source address
  async fn() {
    await using dir = await tempDir("access-");
    await Deno.writeTextFile(dir.join("f.txt"), "f");
    await using server = await startTftpServer({
      root: dir.path,
      port: 0,
      allowWrite: true,
      readFrom: ["127.0.0.0/8"],
      writeFrom: ["127.0.0.2"],
    });
    const table: [string, "RRQ" | "WRQ", string, string][] = [
      ["127.0.0.1", "RRQ", "f.txt", "DATA"],
      ["127.0.0.2", "RRQ", "f.txt", "DATA"],
      ["127.0.0.1", "WRQ", "new.txt", "ERROR 2"],
      ["127.0.0.2", "WRQ", "new.txt", "ACK"],
    ];
    for (const [from, op, name, want] of table) {
      assert.equal(await tftpAsk(server.addr, from, op, name), want, `${from} ${op} ${name}`);
    }
    await using v6only = await startTftpServer({ root: dir.path, port: 0, readFrom: ["::1"] });
    assert.equal(await tftpAsk(v6only.addr, "127.0.0.1", "RRQ", "f.txt"), "ERROR 2");
  },
});

Deno.test({
  name:
    "access from the command line: refusals at start, the anonymous-write warning, bad users files",
  ignore: !HAVE_HTPASSWD,
  async fn() {
    await using dir = await tempDir("access-cli-");
    const root = dir.join("root");
    await Deno.mkdir(root);
    const good = await usersFile(dir.path, ["alice"]);
    const weak = dir.join("weak");
    await Deno.writeTextFile(
      weak,
      (await Deno.readTextFile(good)) + (await htpasswd("-nbm", "eve", "pw")),
    );
    const refused: [string[], RegExp][] = [
      [
        ["http", "--root", root, "--users", weak],
        /--users .*weak: line 2: user 'eve': an Apache MD5 hash/,
      ],
      [["serve-files", "--root", root, "--users", weak], /line 2: user 'eve'/],
      [["http", "--root", root, "--host", "0.0.0.0", "--users", good], /in the clear/],
      [
        ["http", "--root", root, "--users", good, "--auth-read", "--allow", "/:r:*"],
        /--auth-read goes without --allow/,
      ],
      [
        ["http", "--root", root, "--allow", "/:r:alice"],
        /names signed-in users, but there is no --users/,
      ],
      [["http", "--root", root, "--allow", "/x:q:-"], /--allow '\/x:q:-': PERMS/],
      [
        ["tftp", "serve", "--root", root, "--allow-read", "10.0.0.0/33"],
        /--allow-read: '10.0.0.0\/33'/,
      ],
      [["share", "--root", root, "nothing-here"], /nothing-here: no such file or folder/],
    ];
    for (const [args, message] of refused) {
      const r = await runNetkit(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
    }
    await using s = await startNetkitServer([
      "http",
      "--root",
      root,
      "--port",
      "0",
      "--allow",
      "/:r:-",
      "--allow",
      "/drop:w:-",
    ]);
    assert.match(s.stderr(), /warning: --allow \/drop:w:- lets people write without signing in/);
  },
});
