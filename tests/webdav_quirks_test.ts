// The requests of clients we cannot run here, replayed as they send them:
// Windows' mini-redirector (OPTIONS on the root without credentials,
// Translate: f, Win32 properties, Infinite lock timeouts, tagged If lists
// with absolute URLs), macOS Finder (quota properties, its lock owner,
// AppleDouble files) and GNOME's gvfs (Apache's executable property).

import assert from "node:assert/strict";
import { davCurl, davServer, tokenOf } from "./webdav_helpers.ts";

const XML = 'Content-Type: text/xml; charset="utf-8"';

Deno.test("Windows mini-redirector: OPTIONS, Win32 properties, Infinite lock, Translate: f", async () => {
  await using s = await davServer();
  const opt = await davCurl("OPTIONS", s.url(""), { creds: null, headers: ["Translate: f"] });
  assert.equal(opt.status, 200);
  assert.equal(opt.headers.get("ms-author-via"), "DAV");
  const probe = await davCurl("PROPFIND", s.url(""), {
    headers: ["Depth: 0", "Translate: f", XML],
    body:
      `<?xml version="1.0" encoding="utf-8" ?><D:propfind xmlns:D="DAV:"><D:prop xmlns:Z="urn:schemas-microsoft-com:">` +
      `<D:creationdate/><D:displayname/><D:getcontentlength/><D:getcontenttype/><D:getetag/>` +
      `<D:getlastmodified/><D:resourcetype/><Z:Win32FileAttributes/><Z:Win32CreationTime/>` +
      `<Z:Win32LastAccessTime/><Z:Win32LastModifiedTime/></D:prop></D:propfind>`,
  });
  assert.equal(probe.status, 207);
  assert.match(probe.body, /<Win32FileAttributes xmlns="urn:schemas-microsoft-com:"\/>.*404/s);
  // Explorer saves a new file: an empty PUT, LOCK, the bytes, its timestamps, UNLOCK.
  assert.equal(
    (await davCurl("PUT", s.url("New%20Text%20Document.txt"), {
      body: "",
      headers: ["Translate: f"],
    })).status,
    201,
  );
  const lock = await davCurl("LOCK", s.url("New%20Text%20Document.txt"), {
    headers: [XML, "Timeout: Infinite, Second-4100000000", "Translate: f"],
    body:
      `<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>` +
      `<D:locktype><D:write/></D:locktype><D:owner><D:href>WORKGROUP\\alice</D:href></D:owner></D:lockinfo>`,
  });
  assert.equal(lock.status, 200);
  assert.match(lock.body, /<D:timeout>Second-3600<\/D:timeout>/);
  assert.match(lock.body, /WORKGROUP\\alice/);
  const token = tokenOf(lock);
  const tagged = `If: <${s.url("New%20Text%20Document.txt")}> (<${token}>)`;
  assert.equal(
    (await davCurl("PUT", s.url("New%20Text%20Document.txt"), {
      body: "hello",
      headers: [tagged, "Translate: f"],
    })).status,
    204,
  );
  const patch = await davCurl("PROPPATCH", s.url("New%20Text%20Document.txt"), {
    headers: [XML, tagged],
    body:
      `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:">` +
      `<D:set><D:prop><Z:Win32CreationTime>Thu, 03 Dec 2026 10:00:00 GMT</Z:Win32CreationTime>` +
      `<Z:Win32LastModifiedTime>Thu, 03 Dec 2026 10:00:01 GMT</Z:Win32LastModifiedTime>` +
      `<Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`,
  });
  assert.equal(patch.status, 207);
  assert.ok(!patch.body.includes("403") && !patch.body.includes("424"), patch.body);
  const get = await davCurl("GET", s.url("New%20Text%20Document.txt"), {
    headers: ["Translate: f"],
  });
  assert.equal(get.body, "hello");
  assert.equal(
    (await davCurl("UNLOCK", s.url("New%20Text%20Document.txt"), {
      headers: [`Lock-Token: <${token}>`],
    })).status,
    204,
  );
});

Deno.test("macOS Finder: quota properties 404, its lock, AppleDouble refused by default", async () => {
  await using s = await davServer({ hidden: true });
  await Deno.mkdir(`${s.root}/Pictures`);
  const list = await davCurl("PROPFIND", s.url(""), {
    headers: ["Depth: 1", XML],
    body:
      `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getlastmodified/>` +
      `<D:getcontentlength/><D:creationdate/><D:resourcetype/><D:quota-available-bytes/>` +
      `<D:quota-used-bytes/></D:prop></D:propfind>`,
  });
  assert.equal(list.status, 207);
  assert.match(
    list.body,
    /<D:quota-available-bytes\/><D:quota-used-bytes\/><\/D:prop><D:status>HTTP\/1.1 404/,
  );
  const lock = await davCurl("LOCK", s.url("Pictures/a.jpg"), {
    headers: [XML, "Timeout: Second-600"],
    body:
      `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>` +
      `<D:locktype><D:write/></D:locktype><D:owner><D:href>http://www.apple.com/webdav_fs/</D:href></D:owner></D:lockinfo>`,
  });
  assert.equal(lock.status, 201);
  assert.equal(
    (await davCurl("PUT", s.url("Pictures/a.jpg"), {
      body: "jpeg",
      headers: [`If: (<${tokenOf(lock)}>)`],
    })).status,
    204,
  );
  assert.equal((await davCurl("PUT", s.url("Pictures/._a.jpg"), { body: "xattrs" })).status, 403);
  assert.equal((await davCurl("PUT", s.url(".DS_Store"), { body: "layout" })).status, 403);
  assert.deepEqual([...Deno.readDirSync(`${s.root}/Pictures`)].map((e) => e.name), ["a.jpg"]);
});

Deno.test("GNOME gvfs: named properties with Apache's executable, Depth 1 on a folder", async () => {
  await using s = await davServer();
  await Deno.writeTextFile(`${s.root}/run.sh`, "#!/bin/sh\n");
  const r = await davCurl("PROPFIND", s.url(""), {
    headers: ["Depth: 1", XML],
    body:
      `<?xml version="1.0" encoding="utf-8" ?><D:propfind xmlns:D="DAV:"><D:prop><D:creationdate/>` +
      `<D:displayname/><D:getcontentlength/><D:getcontenttype/><D:getetag/><D:getlastmodified/>` +
      `<D:resourcetype/><executable xmlns="http://apache.org/dav/props/"/></D:prop></D:propfind>`,
  });
  assert.equal(r.status, 207);
  assert.match(r.body, /<D:href>\/run.sh<\/D:href>.*<D:getcontentlength>10</s);
  assert.match(r.body, /<executable xmlns="http:\/\/apache.org\/dav\/props\/"\/>.*404 Not Found/s);
});
