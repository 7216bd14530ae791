// The file library in a real browser (headless Chromium): listing, sorting
// with JavaScript off, uploads with progress and their failures, downloads,
// hostile names, and screenshots at desktop and phone width.

import assert from "node:assert/strict";
import {
  chromiumOrSkip,
  DESKTOP,
  desktopPage,
  launchBrowser,
  listedNames,
  PHONE,
  sidewaysOverflow,
  untilDone,
} from "./browser_helpers.ts";
import { serve } from "./http_helpers.ts";
import { tempDir } from "./temp_dir.ts";

const chromium = chromiumOrSkip();

const HOSTILE = "<img src=x onerror=alert(1)>.txt";

Deno.test({
  name: "the listing page in Chromium: uploads, failures, download, no-JS sorting, hostile names",
  ignore: chromium === null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using dir = await tempDir("browser-");
    const root = dir.join("root");
    await Deno.mkdir(`${root}/photos`, { recursive: true });
    await Deno.writeTextFile(`${root}/${HOSTILE}`, "hostile");
    await Deno.writeFile(`${root}/big.bin`, new Uint8Array(300_000));
    await Deno.writeTextFile(`${root}/small.txt`, "s");
    await Deno.writeFile(`${root}/medium.dat`, new Uint8Array(5_000));
    await using server = await serve({
      root,
      upload: true,
      auth: "alice:s3cret",
      maxUpload: 100_000,
    });
    await using tb = await launchBrowser(chromium!);
    const { page, dialogs } = await desktopPage(tb);

    await t.step("a hostile name renders as text", async () => {
      await page.goto(server.url, { waitUntil: "load" });
      assert.ok((await listedNames(page)).includes(HOSTILE), "hostile name shown as text");
      assert.equal(await page.$$eval("main img", (i) => i.length), 0);
      assert.deepEqual(dialogs, []);
    });

    const one = dir.join("one.txt");
    const two = dir.join("two bytes.bin");
    await Deno.writeTextFile(one, "first file\n");
    const twoBytes = crypto.getRandomValues(new Uint8Array(60_000));
    await Deno.writeFile(two, twoBytes);
    const input = async () => (await page.$("input#files"))!;
    const settled = (n: number) => untilDone(page, "up", n);

    await t.step("an upload without credentials shows 401 and writes nothing", async () => {
      await (await input()).uploadFile(one);
      await settled(1);
      const msg = await page.$eval("#progress li.err .msg", (e) => e.textContent ?? "");
      assert.ok(msg.startsWith("401"), msg);
      await Deno.stat(`${root}/one.txt`).then(
        () => assert.ok(false, "file written without credentials"),
        () => {},
      );
    });

    await t.step("two files upload with progress and are listed", async () => {
      await page.$eval("#user", (e) => (e as unknown as { value: string }).value = "alice");
      await page.$eval("#pass", (e) => (e as unknown as { value: string }).value = "s3cret");
      await page.$eval("#progress", (e) => e.replaceChildren());
      await (await input()).uploadFile(one, two);
      await settled(2);
      const states = await page.$$eval("#progress li", (lis) =>
        lis.map((li) => {
          const bar = li.querySelector("progress") as unknown as { value: number; max: number };
          return [li.className, bar.value === bar.max];
        }));
      assert.deepEqual(states, [["ok", true], ["ok", true]]);
      const listed = await listedNames(page);
      assert.ok(listed.includes("one.txt") && listed.includes("two bytes.bin"), listed.join());
      assert.equal(await Deno.readTextFile(`${root}/one.txt`), "first file\n");
    });

    await t.step("a name that exists shows 409, a file over --max-upload 413", async () => {
      const big = dir.join("too big.bin");
      await Deno.writeFile(big, new Uint8Array(150_000));
      await page.$eval("#progress", (e) => e.replaceChildren());
      await (await input()).uploadFile(one, big);
      await settled(3);
      const msgs = await page.$$eval("#progress li.err .msg", (l) => l.map((e) => e.textContent));
      assert.equal(msgs.length, 2, msgs.join());
      assert.ok(msgs[0]!.startsWith("409: one.txt: already exists"), msgs[0]!);
      assert.ok(msgs[1]!.startsWith("413: upload is larger than the limit"), msgs[1]!);
      await Deno.stat(`${root}/too big.bin`).then(
        () => assert.ok(false, "an over-size file was written"),
        () => {},
      );
    });

    await t.step("a download has the uploaded bytes", async () => {
      const href = await page.$eval(
        "main tbody td.name a[href*='two']",
        (a) => (a as unknown as { href: string }).href,
      );
      const got = await page.evaluate(async (u) => {
        const b = new Uint8Array(await (await fetch(u)).arrayBuffer());
        return Array.from(b);
      }, href);
      assert.deepEqual(new Uint8Array(got), twoBytes);
    });

    await t.step("screenshots at desktop and phone width", async () => {
      await tb.screenshot(page, "listing-desktop");
      // The upload messages at phone width (isMobile would reload the page).
      await page.setViewport({ ...PHONE, isMobile: false });
      await tb.screenshot(page, "listing-phone-messages");
      await page.setViewport(PHONE);
      await page.reload({ waitUntil: "load" });
      await tb.screenshot(page, "listing-phone");
      const overflow = await sidewaysOverflow(page);
      assert.ok(overflow <= 0, `page wider than the phone by ${overflow}px`);
      await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
      await tb.screenshot(page, "listing-phone-dark");
    });

    await t.step("with JavaScript off the page lists and sorts", async () => {
      const p = await tb.browser.newPage();
      await p.setJavaScriptEnabled(false);
      await p.setViewport(DESKTOP);
      await p.goto(server.url + "?sort=size&order=desc", { waitUntil: "load" });
      const bySize = await listedNames(p);
      assert.equal(bySize[0], "photos/");
      assert.deepEqual(bySize.slice(1, 3), ["big.bin", "two bytes.bin"]);
      assert.equal(await p.$eval("#up", (e) => (e as unknown as { hidden: boolean }).hidden), true);
      await Promise.all([p.waitForNavigation(), p.click("th a[href*='sort=name']")]);
      const byName = await listedNames(p);
      const files = byName.slice(1);
      assert.deepEqual(files, [...files].sort());
      await Promise.all([p.waitForNavigation(), p.click("nav.crumbs a")]);
      await p.goto(server.url + "photos/", { waitUntil: "load" });
      assert.deepEqual(
        await p.$$eval("nav.crumbs li", (l) => l.map((x) => x.textContent)),
        ["Home", "photos"],
      );
      await tb.screenshot(p, "listing-nojs");
      await p.close();
    });
    assert.deepEqual(dialogs, []);
  },
});
