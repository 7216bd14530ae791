/**
 * Accounts from real `htpasswd` files (Debian's apache2-utils): bcrypt and
 * SHA-crypt accepted and checked in the KDF Worker, weak schemes refused
 * with their line, the file followed while running, and sign-in cached once
 * per credential.
 */

import assert from "node:assert/strict";
import { parseHtpasswd } from "../core/access/htpasswd.ts";
import {
  parsePasswordHash,
  type PasswordHash,
  verifyPassword,
} from "../core/access/password_hash.ts";
import { parseShaCrypt, shaCrypt } from "../core/access/sha_crypt.ts";
import { UserFile } from "../core/access/users.ts";
import { SignIn } from "../core/access/sign_in.ts";
import { KdfPool } from "../core/access/kdf_pool.ts";
import { isNetkitError } from "../core/errors.ts";
import { tempDir } from "./temp_dir.ts";
import { htpasswd, reloadWhere } from "./users_helpers.ts";

const enc = new TextEncoder();

const HAVE_HTPASSWD = (await htpasswd("-nbB", "probe", "x")) !== null;
const needs = { ignore: !HAVE_HTPASSWD };
if (!HAVE_HTPASSWD) console.error("users_test: htpasswd (apache2-utils) not installed: skipped");

function accepted(text: string): PasswordHash {
  const h = parsePasswordHash(text);
  assert.ok(typeof h !== "string", `${text}: ${h}`);
  return h as PasswordHash;
}

Deno.test("SHA-crypt: the specification's own vectors and openssl's output", async () => {
  const vectors: [string, string, string][] = [
    ["$5$saltstring", "Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"],
    [
      "$6$saltstring",
      "Hello world!",
      "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    ],
    [
      "$5$rounds=10000$saltstringsaltstring",
      "Hello world!",
      "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA",
    ],
    [
      "$6$rounds=1400$anotherlongsaltstring",
      "a very much longer text to encrypt.  This one even stretches over morethan one line.",
      "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1",
    ],
  ];
  for (const [setting, password, want] of vectors) {
    assert.equal(shaCrypt(enc.encode(password), parseShaCrypt(setting)!), want);
    assert.ok(await verifyPassword(enc.encode(password), accepted(want)));
    assert.ok(!await verifyPassword(enc.encode(password + "x"), accepted(want)));
  }
  const out = await new Deno.Command("openssl", {
    args: ["passwd", "-6", "-salt", "abcdefgh", "pässwörd"],
    stdout: "piped",
  }).output().catch(() => null);
  if (out?.success) {
    const hash = new TextDecoder().decode(out.stdout).trim();
    assert.ok(await verifyPassword(enc.encode("pässwörd"), accepted(hash)));
  }
});

Deno.test({
  name: "htpasswd: -B, -2 and -5 entries check right; -m, -s, -d, -p are refused with their line",
  ...needs,
  async fn() {
    const good = [
      await htpasswd("-nbB", "alice", "wonder land"),
      await htpasswd("-nbB", "-C", "6", "bob", "builder"),
      await htpasswd("-nb2", "carol", "singing"),
      await htpasswd("-nb5", "-r", "6000", "dan", "dare"),
    ].join("");
    const users = parseHtpasswd(`# team\n\n${good}`);
    assert.deepEqual([...users.keys()], ["alice", "bob", "carol", "dan"]);
    assert.deepEqual([...users.values()].map((h) => h.scheme), [
      "bcrypt",
      "bcrypt",
      "sha256-crypt",
      "sha512-crypt",
    ]);
    const pool = new KdfPool();
    try {
      for (
        const [name, pw] of [["alice", "wonder land"], ["bob", "builder"], ["carol", "singing"], [
          "dan",
          "dare",
        ]]
      ) {
        assert.ok(await pool.verify(enc.encode(pw), users.get(name)!), name);
        assert.ok(!await pool.verify(enc.encode(pw + "!"), users.get(name)!), name);
      }
    } finally {
      pool.close();
    }
    for (const flag of ["-nbm", "-nbs", "-nbd", "-nbp"]) {
      const weak = (await htpasswd(flag, "eve", "pw"))!.trim();
      assert.throws(
        () => parseHtpasswd(`${good}${weak}\n`),
        (e: unknown) => (e as Error).message.startsWith("line 5: user 'eve':"),
        flag,
      );
    }
    assert.throws(
      () => parseHtpasswd(`${good}alice:${users.get("alice")!.text}\n`),
      /line 5: user 'alice' is already on line 1/,
    );
    assert.throws(() => parseHtpasswd("no colon here\n"), /line 1: expected user:hash/);
  },
});

Deno.test({
  name: "users file: a user added while running signs in once the reload event fires",
  ...needs,
  async fn() {
    await using dir = await tempDir("users-");
    const path = dir.join("htpasswd");
    await Deno.writeTextFile(path, (await htpasswd("-nbB", "alice", "a-pass"))!);
    const file = await UserFile.open(path, { checkEveryMs: 0 }); // the watch alone
    const signIn = await SignIn.open({ users: file });
    try {
      const creds = (user: string, pw: string) => ({
        kind: "password" as const,
        user,
        password: enc.encode(pw),
      });
      assert.deepEqual(await signIn.check(creds("alice", "a-pass"), "127.0.0.1", "k1"), {
        user: "alice",
      });
      assert.equal(await signIn.check(creds("bob", "b-pass"), "127.0.0.1", "k2"), null);
      // htpasswd itself edits the file in place.
      const reloaded = reloadWhere(file, (d) => d.ok && d.users === 2);
      await htpasswd("-bB", path, "bob", "b-pass");
      await reloaded;
      // The cached "no" for bob's credential is void with the new generation.
      assert.deepEqual(await signIn.check(creds("bob", "b-pass"), "127.0.0.1", "k2"), {
        user: "bob",
      });
      // A bad edit keeps the accounts read last, and says so.
      const broken = reloadWhere(file, (d) => !d.ok);
      await Deno.writeTextFile(path, "carol:plain\n", { append: true });
      const d = await broken;
      assert.ok(
        !d.ok && /line 3: user 'carol': a plain-text password/.test(d.error),
        JSON.stringify(d),
      );
      assert.ok(file.has("bob"));
    } finally {
      signIn.close();
      file.close();
    }
  },
});

Deno.test({
  name:
    "users file: replaced by rename (as editors save), then edited in place: both seen by the watch",
  ...needs,
  async fn() {
    await using dir = await tempDir("users-");
    const path = dir.join("htpasswd");
    await Deno.writeTextFile(path, await htpasswd("-nbB", "alice", "a") ?? "");
    const file = await UserFile.open(path, { checkEveryMs: 200 });
    try {
      const replaced = reloadWhere(file, (d) => d.ok && d.users === 2);
      const temp = dir.join("htpasswd.new");
      await Deno.writeTextFile(
        temp,
        (await Deno.readTextFile(path)) + await htpasswd("-nbB", "bob", "b"),
      );
      await Deno.rename(temp, path);
      await replaced;
      const edited = reloadWhere(file, (d) => d.ok && d.users === 3);
      await htpasswd("-bB", path, "carol", "c");
      await edited;
      assert.ok(file.has("carol"));
    } finally {
      file.close();
    }
  },
});

Deno.test({
  name: "sign-in: one KDF per credential; wrong and unknown alike; the throttle refuses a flood",
  ...needs,
  async fn() {
    await using dir = await tempDir("users-");
    const path = dir.join("htpasswd");
    await Deno.writeTextFile(path, (await htpasswd("-nbB", "alice", "a-pass"))!);
    const file = await UserFile.open(path, { checkEveryMs: 0, watch: false });
    const signIn = await SignIn.open({
      users: file,
      auth: "root:root-pass",
      token: "tok",
      throttle: { addressBurst: 4, addressIntervalMs: 3_600_000, maxWaitMs: 0 },
    });
    try {
      const pw = (user: string, p: string) => ({
        kind: "password" as const,
        user,
        password: enc.encode(p),
      });
      // Many parallel requests with one new credential share one check.
      const key = signIn.keyOf("Basic x");
      const all = await Promise.all(
        Array.from({ length: 20 }, () => signIn.check(pw("alice", "a-pass"), "10.0.0.1", key)),
      );
      assert.ok(all.every((i) => i?.user === "alice"));
      // Cached now: answered without a promise, so without any work.
      assert.deepEqual(signIn.check(pw("alice", "a-pass"), "10.0.0.1", key), { user: "alice" });
      assert.deepEqual(await signIn.check(pw("root", "root-pass"), "10.0.0.1", "r"), {
        user: "root",
      });
      assert.deepEqual(
        await signIn.check({ kind: "token", token: enc.encode("tok") }, "10.0.0.1", "t"),
        {
          user: null,
        },
      );
      // Wrong password and unknown user: the same answer.
      assert.equal(await signIn.check(pw("alice", "nope"), "10.0.0.2", "w1"), null);
      assert.equal(await signIn.check(pw("zed", "nope"), "10.0.0.2", "w2"), null);
      // A known wrong credential is answered from the cache, not counted again.
      for (let i = 0; i < 10; i++) {
        assert.equal(signIn.check(pw("zed", "nope"), "10.0.0.2", "w2"), null);
      }
      // New guesses use up the address's burst, then are refused at once.
      assert.equal(await signIn.check(pw("zed", "g3"), "10.0.0.2", "w3"), null);
      assert.equal(await signIn.check(pw("zed", "g4"), "10.0.0.2", "w4"), null);
      await assert.rejects(
        async () => await signIn.check(pw("alice", "a-pass"), "10.0.0.2", "w5"),
        (e: unknown) => isNetkitError(e, "BUSY"),
      );
      // Another address signs in as usual.
      assert.deepEqual(await signIn.check(pw("alice", "a-pass"), "10.0.0.3", "w6"), {
        user: "alice",
      });
    } finally {
      signIn.close();
      file.close();
    }
  },
});
