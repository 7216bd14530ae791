/**
 * The rule engine (`core/access/access_rules.ts`) and address ranges
 * (`core/net/net_range.ts`) as pure functions: tables of (rule set, subject,
 * path) → bits, and the parser's refusals.
 */

import assert from "node:assert/strict";
import {
  AccessRules,
  anonymous,
  D,
  parseRule,
  R,
  type Subject,
  W,
} from "../core/access/access_rules.ts";
import { inRange, parseNetRange } from "../core/net/net_range.ts";
import { addressKey } from "../core/net/net.ts";

const user = (name: string, address = "192.0.2.1"): Subject => ({
  user: name,
  signedIn: true,
  address,
});
const token: Subject = { user: null, signedIn: true, address: "192.0.2.1" };
const anon = anonymous("192.0.2.1");
const seg = (p: string) => p.split("/").filter(Boolean);

const ISSUE = ["/:r:-", "/uploads:rw:alice,bob", "/drop:w:-"];

Deno.test("access rules: the issue's example, as a table", () => {
  const rules = AccessRules.parse(ISSUE);
  const table: [Subject, string, number][] = [
    [anon, "/", R],
    [anon, "/readme.txt", R],
    [anon, "/uploads/a.txt", 0], // the longer path decides: only alice and bob
    [user("alice"), "/uploads/a.txt", R | W],
    [user("bob"), "/uploads/deep/er/a.txt", R | W],
    [user("carol"), "/uploads/a.txt", 0],
    [user("carol"), "/readme.txt", R], // "-" is everyone, signed in or not
    [anon, "/drop", W],
    [anon, "/drop/x.bin", W],
    [user("alice"), "/drop/x.bin", W],
    [anon, "/dropper/x", R], // whole segments: /drop is no prefix of /dropper
    [token, "/uploads/a.txt", 0],
  ];
  for (const [s, path, bits] of table) {
    assert.equal(rules.perms(s, seg(path)), bits, `${s.user ?? "-"} ${path}`);
  }
  assert.ok(rules.canMove(user("alice"), seg("/uploads/a"), seg("/uploads/b")) === false); // no d
  assert.ok(rules.canCopy(user("alice"), seg("/readme.txt"), seg("/uploads/r.txt")));
  assert.deepEqual(rules.anonymousWrites().map((r) => r.text), ["/drop:w:-"]);
  assert.deepEqual([...rules.userNames()], ["alice", "bob"]);
});

Deno.test("access rules: no rule means no access; deny rules; '*' and names; union at one path", () => {
  const rules = AccessRules.parse([
    "/pub:r:-",
    "/team:rwd:*",
    "/team/secret::-",
    "/team/secret:r:carol",
    "/home/alice:rwd:alice",
  ]);
  const table: [Subject, string, number][] = [
    [anon, "/", 0],
    [anon, "/other.txt", 0],
    [anon, "/pub/x", R],
    [anon, "/team/x", 0],
    [token, "/team/x", R | W | D],
    [user("dan"), "/team/x", R | W | D],
    [user("dan"), "/team/secret/x", 0],
    [user("carol"), "/team/secret/x", R],
    [user("alice"), "/home/alice/notes", R | W | D],
    [user("bob"), "/home/alice/notes", 0],
  ];
  for (const [s, path, bits] of table) {
    assert.equal(rules.perms(s, seg(path)), bits, `${s.user ?? "-"} ${path}`);
  }
  // Folders worth showing: a way in to something further down.
  assert.ok(rules.reachable(user("alice"), []));
  assert.ok(rules.reachable(user("alice"), ["home"]));
  assert.ok(!rules.reachable(user("bob"), ["home"]));
  assert.ok(!rules.reachable(user("dan"), ["team", "secret"]));
  assert.ok(rules.visible(anon, ["pub"], true));
  assert.ok(!rules.visible(anon, ["team"], true));
  assert.ok(!rules.visible(user("dan"), ["home"], true));
  // 401 (sign in could help) or 403.
  assert.equal(rules.refusal(anon, seg("/team/x"), W), "sign-in");
  assert.equal(rules.refusal(anon, seg("/pub/x"), W), "forbidden");
  assert.equal(rules.refusal(user("bob"), seg("/home/alice/x"), R), "forbidden");
});

Deno.test("access rules: canTree asks the path and every deeper rule's path", () => {
  const rules = AccessRules.parse([
    "/:r:-",
    "/team:rwd:*",
    "/team/a/final:r:*",
    "/team/ab::-",
    "/team/b/more:rwd:*",
  ]);
  const bob = user("bob");
  const table: [Subject, string, number, boolean][] = [
    [bob, "/team", D, false], // final/ and ab/ below it
    [bob, "/team", R, false], // ab/ gives nothing
    [bob, "/team/a", D, false],
    [bob, "/team/a", W, false],
    [bob, "/team/a", R, true],
    [bob, "/team/a/final/x", R, true],
    [bob, "/team/a/final/x", D, false],
    [bob, "/team/b", R | W | D, true], // a deeper rule granting as much
    [bob, "/team/abc", D, true], // whole segments: /team/ab is not above it
    [bob, "/", R, false],
    [anon, "/team/b", R, false],
    [anon, "/pub", R, true], // no rule below
  ];
  for (const [s, path, need, want] of table) {
    assert.equal(rules.canTree(s, seg(path), need), want, `${s.user ?? "-"} ${path} ${need}`);
  }
});

Deno.test("access rules: refusalTree says sign-in only when signing in helps all through the tree", () => {
  const rules = AccessRules.parse([
    "/:r:-",
    "/team:rwd:*",
    "/team/a/final:r:*",
    "/team/ab::-",
    "/team/b/more:rwd:alice",
  ]);
  const table: [Subject, string, number, "sign-in" | "forbidden"][] = [
    [anon, "/team/b", D, "sign-in"], // more/ is alice's: signing in helps there too
    [anon, "/team/a", D, "forbidden"], // final/ refuses d to everyone
    [anon, "/team", R, "forbidden"], // ab/ refuses everyone
    [anon, "/team/x", D, "sign-in"], // no rule below
    [anon, "/", W, "forbidden"],
    [user("bob"), "/team/b", D, "forbidden"], // signed in already
  ];
  for (const [s, path, need, want] of table) {
    assert.equal(rules.refusalTree(s, seg(path), need), want, `${s.user ?? "-"} ${path} ${need}`);
  }
  // Without a deeper rule it is the plain refusal.
  assert.equal(rules.refusalTree(anon, seg("/team/x"), D), rules.refusal(anon, seg("/team/x"), D));
});

Deno.test("access rules: address ranges as WHO", () => {
  const rules = AccessRules.parse(["/:r:@10.0.0.0/8,@2001:db8::/32", "/in:w:@127.0.0.1"]);
  assert.equal(rules.perms(anonymous("10.1.2.3"), []), R);
  assert.equal(rules.perms(anonymous("11.1.2.3"), []), 0);
  assert.equal(rules.perms(anonymous("2001:db8:1::5"), ["x"]), R);
  assert.equal(rules.perms(anonymous("::ffff:10.9.9.9"), ["x"]), R); // IPv4-mapped
  assert.equal(rules.perms(anonymous("127.0.0.1"), ["in", "f"]), W);
  assert.equal(rules.perms(anonymous("127.0.0.2"), ["in", "f"]), 0);
  assert.equal(rules.anonymousWrites().length, 1);
});

Deno.test("access rules: the parser refuses what it cannot read, naming the rule", () => {
  for (
    const bad of [
      "/x",
      "/x:r",
      "x:r:-",
      "/x:rx:-",
      "/x:r:",
      "/../x:r:-",
      "/x:r:a b",
      "/x:r:@300.1.1.1",
      "/x:r:@10.0.0.0/33",
      "/x:r:alice,,bob",
    ]
  ) {
    assert.throws(
      () => parseRule(bad),
      (e: unknown) => e instanceof RangeError && /'/.test(String(e)),
      bad,
    );
  }
  assert.deepEqual(parseRule("/a/b/:-:-").path, ["a", "b"]);
  assert.equal(parseRule("/:dwr:*").perms, R | W | D);
  assert.equal(parseRule("/::-").perms, 0);
});

Deno.test("net ranges: parse, match, group", () => {
  assert.ok(inRange(parseNetRange("192.168.0.0/16"), "192.168.4.5"));
  assert.ok(!inRange(parseNetRange("192.168.0.0/16"), "192.169.0.1"));
  assert.ok(inRange(parseNetRange("10.0.0.1"), "10.0.0.1"));
  assert.ok(!inRange(parseNetRange("10.0.0.1"), "10.0.0.2"));
  assert.ok(inRange(parseNetRange("any"), "::1"));
  assert.ok(inRange(parseNetRange("::1"), "0:0:0:0:0:0:0:1"));
  assert.ok(!inRange(parseNetRange("10.0.0.0/8"), "::1"));
  assert.ok(inRange(parseNetRange("fe80::/10"), "fe80::1%eth0".split("%")[0]));
  assert.ok(inRange(parseNetRange("0.0.0.0/0"), "8.8.8.8"));
  assert.equal(addressKey("2001:db8:1:2:aaaa::1"), addressKey("2001:db8:1:2:bbbb::9"));
  assert.notEqual(addressKey("2001:db8:1:2::1"), addressKey("2001:db8:1:3::1"));
  assert.equal(addressKey("::ffff:127.0.0.1"), "127.0.0.1");
  for (const bad of ["", "1.2.3", "1.2.3.4/", "1.2.3.4/x", "::1/129", "host.example"]) {
    assert.throws(() => parseNetRange(bad), RangeError, bad);
  }
});
