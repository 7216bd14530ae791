// Access rules and share links in a real browser (headless Chromium): the
// anonymous drop box takes an upload but lists nothing, and a link a
// signed-in user makes on the listing page downloads in a browser with no
// account.

import assert from "node:assert/strict";
import { chromiumOrSkip, desktopPage, launchBrowser, untilDone } from "./browser_helpers.ts";
import { serve } from "./http_helpers.ts";
import { tempDir } from "./temp_dir.ts";
import { htpasswd } from "./users_helpers.ts";

const chromium = chromiumOrSkip();
const HAVE_HTPASSWD = (await htpasswd("-nbB", "probe", "x")) !== null;
if (!HAVE_HTPASSWD) console.log("htpasswd (apache2-utils) is not installed: browser tests skipped");

Deno.test({
  name:
    "Chromium: the anonymous drop box uploads but cannot list; a share link downloads with no account",
  ignore: chromium === null || !HAVE_HTPASSWD,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using dir = await tempDir("access-browser-");
    const root = dir.join("root");
    await Deno.mkdir(`${root}/drop`, { recursive: true });
    await Deno.mkdir(`${root}/team`);
    await Deno.writeTextFile(`${root}/drop/someone-elses.txt`, "not for you");
    const report = crypto.getRandomValues(new Uint8Array(40_000));
    await Deno.writeFile(`${root}/team/report.bin`, report);
    const users = dir.join("htpasswd");
    await Deno.writeTextFile(users, (await htpasswd("-nbB", "alice", "wonderland"))!);
    await using server = await serve({
      root,
      users,
      allow: ["/:r:-", "/drop:w:-", "/team:rw:alice"],
    });
    await using tb = await launchBrowser(chromium!);
    const { page, dialogs } = await desktopPage(tb);

    await t.step("the drop box takes a file and shows nothing inside", async () => {
      const res = await page.goto(`${server.url}drop/`, { waitUntil: "load" });
      assert.equal(res?.status(), 200);
      assert.equal(await page.$$eval("main tbody tr:not(.up) td.name a", (a) => a.length), 0);
      assert.ok((await page.content()).includes("drop box"));
      assert.ok(!(await page.content()).includes("someone-elses"));
      const file = dir.join("mine.txt");
      await Deno.writeTextFile(file, "my drop\n");
      await (await page.$("input#files"))!.uploadFile(file);
      await untilDone(page, "up", 1);
      const msg = await page.$eval("#progress li .msg", (e) => e.textContent ?? "");
      assert.equal(msg, "uploaded");
      assert.equal(await Deno.readTextFile(`${root}/drop/mine.txt`), "my drop\n");
      await page.reload({ waitUntil: "load" });
      assert.equal(await page.$$eval("main tbody tr:not(.up) td.name a", (a) => a.length), 0);
      const back = await page.evaluate(
        async (u) => (await fetch(u)).status,
        `${server.url}drop/mine.txt`,
      );
      assert.equal(back, 403);
      await tb.screenshot(page, "drop-box");
    });

    let link = "";
    await t.step("alice signs in and makes a link from the listing page", async () => {
      await page.authenticate({ username: "alice", password: "wonderland" });
      await page.goto(`${server.url}team/`, { waitUntil: "load" });
      await page.click("button.share");
      await page.waitForSelector("input.url", { timeout: 10_000 });
      link = await page.$eval("input.url", (e) => (e as unknown as { value: string }).value);
      assert.match(link, /\/\.netkit-share\/[^/]+\/report\.bin$/);
      await tb.screenshot(page, "share-made");
    });

    await t.step("a browser with no account downloads through the link", async () => {
      const ctx = await tb.browser.createBrowserContext();
      try {
        const stranger = await ctx.newPage();
        await stranger.goto(server.url, { waitUntil: "load" });
        const denied = await stranger.evaluate(
          async (u) => (await fetch(u, { headers: { "x-netkit": "1" } })).status,
          `${server.url}team/report.bin`,
        );
        assert.equal(denied, 401);
        // Following the link downloads the file (Chromium saves what it cannot show).
        const saved = dir.join("downloads");
        await Deno.mkdir(saved);
        const cdp = await tb.browser.target().createCDPSession();
        await cdp.send("Browser.setDownloadBehavior", {
          behavior: "allow",
          downloadPath: saved,
          browserContextId: ctx.id,
          eventsEnabled: true,
        });
        const done = new Promise<string>((resolve) =>
          cdp.on("Browser.downloadProgress", (e) => {
            if (e.state === "completed" || e.state === "canceled") resolve(e.state);
          })
        );
        await stranger.goto(link).catch(() => {}); // a download aborts the navigation
        assert.equal(await done, "completed");
        assert.deepEqual(await Deno.readFile(`${saved}/report.bin`), report);
        await cdp.detach();
        const got = await stranger.evaluate(async (u) => {
          const r = await fetch(u);
          return { status: r.status, bytes: Array.from(new Uint8Array(await r.arrayBuffer())) };
        }, link);
        assert.equal(got.status, 200);
        assert.deepEqual(new Uint8Array(got.bytes), report);
        // Anything else through the link's prefix is refused.
        const outside = await stranger.evaluate(
          async (u) => (await fetch(u)).status,
          link.replace(/report\.bin$/, "../drop/mine.txt"),
        );
        assert.ok(outside >= 400, String(outside));
      } finally {
        await ctx.close();
      }
    });
    assert.deepEqual(dialogs, []);
  },
});
