/**
 * Cluster steps for the state netkit keeps in the library folder for every
 * instance: WebDAV locks and dead properties (`.netkit-locks/`,
 * `.netkit-props/`), and the share links' secret (`.netkit-state/`).
 * Each is made through one host and must hold on the others.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Cluster } from "../scripts/cluster/cluster.ts";
import { runNetkit } from "./cli_helpers.ts";
import { httpGet, httpPut, randomBytes } from "./cluster_helpers.ts";
import { assertSameBytes } from "./same_bytes.ts";
import { lockBody } from "./webdav_helpers.ts";

/**
 * Requests that may pass before another host must see a change (about a
 * second of staleness): a bound on the count, not on time, high enough that
 * even sub-millisecond round trips span several seconds.
 */
const MAX_STALE_READS = 5000;

const unpooled = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });

/** A WebDAV request with the cluster's token; the status, headers and body. */
async function dav(
  url: string,
  method: string,
  token: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, {
    client: unpooled,
    method,
    headers: { authorization: `Bearer ${token}`, ...headers },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/**
 * A lock taken through host 1 holds on hosts 2 and 3, its token opens the
 * file there, a dead property set through host 2 is read through host 3,
 * and an unlock through host 2 frees the file everywhere.
 */
export async function davAcrossHosts(cluster: Cluster): Promise<void> {
  const token = cluster.token;
  const [a, b, c] = cluster.hosts.map((h) => `http://${h.address}:${h.httpPort}/dav-shared.txt`);
  assert.equal(await httpPut(a, new TextEncoder().encode("first"), token), 201);
  const lock = await dav(a, "LOCK", token, { timeout: "Second-120" }, lockBody());
  assert.equal(lock.status, 200, lock.text);
  const lockToken = lock.headers.get("lock-token")?.replace(/^<|>$/g, "") ?? "";
  assert.match(lockToken, /^urn:uuid:/);
  const held = { if: `(<${lockToken}>)` };
  for (const other of [b, c]) {
    assert.equal((await dav(other, "PUT", token, {}, "intruder")).status, 423, other);
    assert.equal((await dav(other, "DELETE", token)).status, 423, other);
  }
  assert.ok([200, 201, 204].includes((await dav(c, "PUT", token, held, "holder")).status));
  const set = `<propertyupdate xmlns="DAV:"><set><prop><k xmlns="urn:t">from host 2</k>` +
    `</prop></set></propertyupdate>`;
  assert.equal((await dav(b, "PROPPATCH", token, held, set)).status, 207);
  const find = `<propfind xmlns="DAV:"><prop><k xmlns="urn:t"/><lockdiscovery/></prop></propfind>`;
  const seen = await dav(c, "PROPFIND", token, { depth: "0" }, find);
  assert.equal(seen.status, 207);
  assert.ok(seen.text.includes(`<k xmlns="urn:t">from host 2</k>`), seen.text);
  assert.ok(seen.text.includes(lockToken), "host 3 lists host 1's lock");
  assert.equal((await dav(b, "UNLOCK", token, { "lock-token": `<${lockToken}>` })).status, 204);
  // A removal is seen on other hosts within milliseconds, not at once: ask until it is.
  let status = 0;
  for (let n = 0; n < MAX_STALE_READS && status !== 204; n++) {
    status = (await dav(a, "PUT", token, {}, "free again")).status;
    assert.ok(status === 204 || status === 423, `PUT after UNLOCK: ${status}`);
  }
  assert.equal(status, 204, "the file stayed locked on host 1 after the unlock on host 2");
}

/**
 * A share link made with host 1's mount opens through every host; revoking
 * every link with host 2's mount closes it through every host (after the
 * secret's replacement is seen there: an overwrite, about a second).
 */
export async function shareLinksAcrossHosts(cluster: Cluster): Promise<void> {
  const token = cluster.token;
  const [A, B] = cluster.hosts;
  const data = randomBytes(100_000);
  const web = (i: number) => `http://${cluster.hosts[i].address}:${cluster.hosts[i].httpPort}`;
  assert.equal(await httpPut(`${web(0)}/shared-link.bin`, data, token), 201);
  const made = await runNetkit([
    "share",
    "--root",
    A.library,
    "shared-link.bin",
    "--expires",
    "1h",
  ]);
  assert.equal(made.code, 0, made.stderr);
  const path = new URL(made.stdout.trim().split("\n").at(-1)!).pathname;
  assert.match(path, /^\/\.netkit-share\/[^/]+\/shared-link\.bin$/);
  for (let i = 0; i < cluster.hosts.length; i++) {
    const got = await httpGet(`${web(i)}${path}`);
    assert.equal(got.status, 200, `the link through host ${i + 1}`);
    assertSameBytes(got.body, data);
  }
  const revoked = await runNetkit(["share", "--root", B.library, "--revoke-all"]);
  assert.equal(revoked.code, 0, revoked.stderr);
  for (let i = 0; i < cluster.hosts.length; i++) {
    let status = 200;
    for (let n = 0; n < MAX_STALE_READS && status === 200; n++) {
      status = (await httpGet(`${web(i)}${path}`)).status;
    }
    assert.equal(status, 403, `the revoked link through host ${i + 1}`);
  }
}
