/**
 * Headless Chromium for the browser tests: found on the PATH (Debian's
 * `chromium`), launched through puppeteer-core with a fresh profile, closed
 * with `await using`. Screenshots go to a temp folder, and also to
 * `/tmp/netkit-screens/` when `NETKIT_SCREENSHOTS` is set.
 *
 * @module
 */

import puppeteer, { type Browser, type Page } from "puppeteer-core";

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
