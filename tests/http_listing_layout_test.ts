// The listing page never scrolls sideways (issue 17, item 12): a long name
// without a break (255 characters, the most a file system allows) wraps
// anywhere, in the table and in the breadcrumbs, and the size and date
// columns stay on screen, at phone and at desktop width, in headless Chromium.

import assert from "node:assert/strict";
import { DESKTOP, findChromium, launchBrowser, PHONE } from "./browser_helpers.ts";
import { serve } from "./http_helpers.ts";
import { tempDir } from "./temp_dir.ts";
import type { Page } from "puppeteer-core";

const chromium = findChromium();

const LONG_FOLDER = "f".repeat(200);
const NAMES = ["a".repeat(255), `${"b".repeat(124)}.txt`, "short.txt"];

/** What overflows: the page's sideways scroll, and cells reaching past the right edge. */
interface Overflow {
  scroll: number;
  viewport: number;
  cells: number;
  sizeWidths: number[];
  dateWidths: number[];
}

// Runs in the page (a string: these tests are type-checked without the DOM library).
const MEASURE = `(() => {
  const doc = document.documentElement;
  const rects = (sel) => [...document.querySelectorAll(sel)].map((e) => e.getBoundingClientRect());
  return {
    scroll: doc.scrollWidth - doc.clientWidth,
    viewport: doc.clientWidth,
    cells: Math.max(...rects("td, th, nav.crumbs li, h1").map((r) => r.right)),
    sizeWidths: rects("tbody td.size").map((r) => r.width),
    dateWidths: rects("tbody td.date").map((r) => r.width),
  };
})()`;

async function overflow(page: Page): Promise<Overflow> {
  return await page.evaluate(MEASURE) as Overflow;
}

Deno.test({
  name: `listing layout: long unbroken names wrap; no sideways scroll on a phone or a desktop${
    chromium ? "" : " (skipped: chromium is not installed)"
  }`,
  ignore: chromium === null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using dir = await tempDir("layout-");
    const root = dir.join("root");
    await Deno.mkdir(`${root}/${LONG_FOLDER}`, { recursive: true });
    for (const name of NAMES) {
      await Deno.writeTextFile(`${root}/${name}`, "x".repeat(1234));
      await Deno.writeTextFile(`${root}/${LONG_FOLDER}/${name}`, "y");
    }
    await using server = await serve({ root });
    await using tb = await launchBrowser(chromium!);
    const page = await tb.browser.newPage();
    const views = [{ name: "phone", ...PHONE }, { name: "desktop", ...DESKTOP }];
    for (const { name, ...viewport } of views) {
      for (
        const [where, url] of [["root", server.url], ["folder", `${server.url}${LONG_FOLDER}/`]]
      ) {
        await t.step(`${name}, ${where}`, async () => {
          await page.setViewport(viewport);
          await page.goto(url, { waitUntil: "load" });
          await tb.screenshot(page, `listing-long-names-${name}-${where}`);
          const o = await overflow(page);
          assert.equal(o.scroll, 0, `the page scrolls sideways by ${o.scroll}px`);
          assert.ok(o.cells <= o.viewport + 0.5, `a cell reaches ${o.cells}px of ${o.viewport}px`);
          assert.ok(o.sizeWidths.every((w) => w > 20), `size column squeezed: ${o.sizeWidths}`);
          assert.ok(o.dateWidths.every((w) => w > 20), `date column squeezed: ${o.dateWidths}`);
        });
      }
    }
  },
});
