/**
 * Headless Chromium for the browser tests: found on the PATH (Debian's
 * `chromium`), launched through puppeteer-core with a fresh profile, closed
 * with `await using`. Screenshots go to a temp folder, and also to
 * `/tmp/netkit-screens/` when `NETKIT_SCREENSHOTS` is set.
 *
 * @module
 */

import puppeteer, { type Browser, type Page, type Viewport } from "puppeteer-core";

/** The desktop window the browser tests open pages in. */
export const DESKTOP: Viewport = { width: 1280, height: 800 };

/** A phone: narrow, touch, a dense screen (switching to it reloads the page: `isMobile`). */
export const PHONE: Viewport = { width: 390, height: 844, isMobile: true, deviceScaleFactor: 2 };

/** The chromium executable, or null when it is not installed. */
export function findChromium(): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    for (const name of ["chromium", "chromium-browser"]) {
      try {
        const p = `${dir}/${name}`;
        if (Deno.statSync(p).isFile) return p;
      } catch { /* not here */ }
    }
  }
  return null;
}

/** {@linkcode findChromium}, saying on the console that browser tests are skipped when it finds none. */
export function chromiumOrSkip(): string | null {
  const chromium = findChromium();
  if (chromium === null) console.log("chromium is not installed: browser tests skipped");
  return chromium;
}

/** A running browser and where its screenshots go. */
export interface TestBrowser extends AsyncDisposable {
  /** The puppeteer browser. */
  browser: Browser;
  /** Saves a PNG of `page` as `name.png`; returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
}

/** Launches headless Chromium with a fresh profile. */
export async function launchBrowser(executablePath: string): Promise<TestBrowser> {
  const profile = await Deno.makeTempDir({ prefix: "netkit-chromium-" });
  const shots = await Deno.makeTempDir({ prefix: "netkit-screens-" });
  const keep = Deno.env.get("NETKIT_SCREENSHOTS") !== undefined;
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath,
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        `--user-data-dir=${profile}`,
      ],
      timeout: 20_000,
    });
  } catch (e) {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    throw e;
  }
  return {
    browser,
    async screenshot(page, name) {
      const path = `${shots}/${name}.png`;
      await page.screenshot({ path: path as `${string}.png`, fullPage: true });
      if (keep) {
        await Deno.mkdir("/tmp/netkit-screens", { recursive: true });
        await Deno.copyFile(path, `/tmp/netkit-screens/${name}.png`);
      }
      return path;
    },
    async [Symbol.asyncDispose]() {
      await browser.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      await Deno.remove(shots, { recursive: true }).catch(() => {});
    },
  };
}

/** A page at {@linkcode DESKTOP} size, and the messages of the dialogs it opened (each dismissed). */
export async function desktopPage(tb: TestBrowser): Promise<{ page: Page; dialogs: string[] }> {
  const page = await tb.browser.newPage();
  const dialogs: string[] = [];
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  await page.setViewport(DESKTOP);
  return { page, dialogs };
}

/** The names in the listing page's table, in order. */
export async function listedNames(page: Page): Promise<string[]> {
  return await page.$$eval("main tbody td.name a", (as) => as.map((a) => a.textContent ?? ""));
}

/**
 * Waits (at most 10 s) until the element `id` counts `n` finished actions in
 * its `data-done`: the listing page's scripts count there the uploads and
 * folder actions they have settled.
 */
export async function untilDone(page: Page, id: string, n: number): Promise<void> {
  await page.waitForFunction(
    `Number(document.getElementById(${JSON.stringify(id)}).dataset.done ?? 0) >= ${n}`,
    { timeout: 10_000 },
  );
}

/** How many pixels the page is wider than its window (0 or less: no sideways scroll). */
export async function sidewaysOverflow(page: Page): Promise<number> {
  return await page.evaluate(
    "document.documentElement.scrollWidth - document.documentElement.clientWidth",
  ) as number;
}
