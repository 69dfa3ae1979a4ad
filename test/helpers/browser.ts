/**
 * Headless Chromium (Debian's `/usr/bin/chromium`) driven by playwright-core: never a browser
 * download. Every page error, console error and failed response is collected so a test can
 * assert there were none.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.TOLLGATE_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Screenshots land here (a CI artefact): `artifacts/screenshots/<name>.png`. */
export const SCREENSHOT_DIR = join(__dirname, '..', '..', '..', 'artifacts', 'screenshots');

/** `args`: more command-line switches (a host-resolver rule, say). */
export async function launchBrowser(args: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      ...args,
    ],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Page errors, console errors and HTTP responses ≥ 400 seen so far. */
  problems: string[];
  /** The whole page, or the element `selector` matches (its top `maxHeight` pixels). */
  screenshot(name: string, selector?: string, maxHeight?: number): Promise<void>;
}

export async function openPage(browser: Browser): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${String(e).slice(0, 500)}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text().slice(0, 500)}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('dialog', (d) => void d.accept());
  return {
    page,
    context,
    problems,
    async screenshot(name: string, selector?: string, maxHeight?: number) {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      // At the top, viewport coordinates are page coordinates (what a full-page clip takes).
      if (selector) await page.evaluate(() => (globalThis as any).scrollTo(0, 0));
      const box = selector ? await page.locator(selector).boundingBox() : null;
      if (box) {
        const clip = { ...box, height: Math.min(box.height, maxHeight ?? box.height) };
        await page.screenshot({ path, fullPage: true, clip });
      } else await page.screenshot({ path, fullPage: true });
    },
  };
}
