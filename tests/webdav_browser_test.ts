// The listing page's folder actions in headless Chromium: New folder
// (MKCOL) and Rename / move (MOVE), with credentials, their refusals shown
// as plain messages, hostile names kept as text, hidden without
// JavaScript, and screenshots to look at.

import assert from "node:assert/strict";
import {
  chromiumOrSkip,
  desktopPage,
  launchBrowser,
  listedNames,
  PHONE,
  sidewaysOverflow,
  untilDone,
} from "./browser_helpers.ts";
import { davServer } from "./webdav_helpers.ts";

const chromium = chromiumOrSkip();

const HOSTILE = `<img src=x onerror=alert(1)>"'.txt`;

Deno.test({
  name: "listing page in Chromium: new folder, rename, move into a folder, refusals",
  ignore: chromium === null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using s = await davServer();
    await Deno.mkdir(`${s.root}/photos`);
    await Deno.writeTextFile(`${s.root}/notes.txt`, "notes");
    await Deno.writeTextFile(`${s.root}/${HOSTILE}`, "hostile");
    await using tb = await launchBrowser(chromium!);
    const { page, dialogs } = await desktopPage(tb);
    await page.goto(s.server.url, { waitUntil: "load" });
    let done = 0;
    const settled = () => untilDone(page, "actmsg", ++done);
    const message = () => page.$eval("#actmsg", (e) => [e.className, e.textContent ?? ""]);
    const setValue = (sel: string, v: string) =>
      page.$eval(sel, (e, v) => (e as unknown as { value: string }).value = v as string, v);

    await t.step("without credentials: 401 shown, Sign in opened, nothing made", async () => {
      await setValue("#dirname", "albums");
      await page.click("#newdir button");
      await settled();
      const [cls, text] = await message();
      assert.equal(cls, "err");
      assert.ok(text.startsWith("401"), text);
      assert.equal(
        await page.$eval("#up details", (d) => (d as unknown as { open: boolean }).open),
        true,
      );
      await Deno.stat(`${s.root}/albums`).then(
        () => assert.fail("made without credentials"),
        () => {},
      );
    });

    await setValue("#user", "alice");
    await setValue("#pass", "s3cret");

    await t.step("New folder makes it and the list shows it", async () => {
      await page.click("#newdir button");
      await settled();
      assert.deepEqual(await message(), ["ok", "created albums/"]);
      assert.ok((await Deno.stat(`${s.root}/albums`)).isDirectory);
      assert.ok((await listedNames(page)).includes("albums/"));
    });

    const rename = async (from: string, to: string) => {
      // After a refusal the form stays open for another try.
      if ((await page.$("td.name form")) === null) {
        const row = await page.$(`button.mv[data-name="${from.replaceAll('"', '\\"')}"]`);
        assert.ok(row, `a Rename button for ${from}`);
        await row!.click();
      }
      await page.$eval(
        "td.name form input",
        (e, v) => (e as unknown as { value: string }).value = v as string,
        to,
      );
      await page.click("td.name form button:not([type=button])");
      await settled();
    };

    await t.step("Rename renames; a taken name is 412 and nothing changes", async () => {
      await rename("notes.txt", "journal.txt");
      assert.deepEqual(await message(), ["ok", "moved notes.txt to journal.txt"]);
      assert.equal(await Deno.readTextFile(`${s.root}/journal.txt`), "notes");
      await rename("journal.txt", "photos");
      const [cls, text] = await message();
      assert.equal(cls, "err");
      assert.ok(text.startsWith("412"), text);
      assert.equal(await Deno.readTextFile(`${s.root}/journal.txt`), "notes");
    });

    await t.step("a path moves it into another folder; a missing one is 409", async () => {
      await rename("journal.txt", "photos/journal.txt");
      assert.equal(await Deno.readTextFile(`${s.root}/photos/journal.txt`), "notes");
      await rename("albums", "nowhere/albums");
      assert.ok((await message())[1].startsWith("409"));
      await rename("albums", "/photos/albums");
      assert.ok((await Deno.stat(`${s.root}/photos/albums`)).isDirectory);
      assert.ok(!(await listedNames(page)).includes("albums/"));
    });

    await t.step("a hostile name renames as text", async () => {
      await rename(HOSTILE, "plain.txt");
      assert.equal(await Deno.readTextFile(`${s.root}/plain.txt`), "hostile");
      assert.equal(await page.$$eval("main img", (i) => i.length), 0);
    });

    await t.step("screenshots", async () => {
      await page.goto(s.server.url + "photos/", { waitUntil: "load" });
      await page.hover("main tbody tr:nth-child(2)");
      await tb.screenshot(page, "listing-actions-desktop");
      await page.click("button.mv[data-name='journal.txt']");
      await tb.screenshot(page, "listing-rename-desktop");
      await page.setViewport(PHONE);
      await page.reload({ waitUntil: "load" });
      await tb.screenshot(page, "listing-actions-phone");
      const overflow = await sidewaysOverflow(page);
      assert.ok(overflow <= 0, `page wider than the phone by ${overflow}px`);
    });

    await t.step("without JavaScript the controls stay hidden", async () => {
      const p = await tb.browser.newPage();
      await p.setJavaScriptEnabled(false);
      await p.goto(s.server.url, { waitUntil: "load" });
      assert.equal(
        await p.$eval("#newdir", (e) => (e as unknown as { hidden: boolean }).hidden),
        true,
      );
      assert.ok(
        await p.$$eval(
          "button.mv",
          (b) => b.every((x) => (x as unknown as { hidden: boolean }).hidden),
        ),
      );
      await p.close();
    });
    assert.deepEqual(dialogs, []);
  },
});

Deno.test({
  name: "listing page: the actions follow the switches (no MOVE without --delete)",
  ignore: chromium === null,
  async fn() {
    await using s = await davServer({ delete: false });
    const html = await (await fetch(s.server.url)).text();
    assert.ok(html.includes(`id="newdir"`));
    assert.ok(!html.includes(`class="mv"`));
    await using ro = await davServer({
      upload: false,
      mkdir: false,
      delete: false,
      auth: undefined,
    });
    const plain = await (await fetch(ro.server.url)).text();
    assert.ok(!plain.includes("newdir") && !plain.includes("<script"));
  },
});
