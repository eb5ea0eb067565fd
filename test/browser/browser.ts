import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

/** Debian's chromium (installed by .ci/run); playwright-core never downloads a browser. */
export const CHROMIUM = process.env.HOOKBASE_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type TestBrowser = { context: BrowserContext; close: () => Promise<void> };

/** Headless Chromium with a fresh profile in a temp dir, deleted on close. */
export const launchBrowser = async (): Promise<TestBrowser> => {
  const profile = mkdtempSync(join(tmpdir(), 'hookbase-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
  });
  // Well under the test timeout, so a missing element fails with its locator rather than a bare timeout.
  context.setDefaultTimeout(10_000);
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
};

export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'portal');

const themeToggle = (page: Page, to: 'light' | 'dark') => page.getByRole('button', { name: `Switch to ${to} theme` });

/** Puts the page in `theme`: the hosted page's own toggle when it has one, else the portal roots' data-theme. */
const setTheme = async (page: Page, theme: 'light' | 'dark') => {
  const other = theme === 'dark' ? 'light' : 'dark';
  if ((await themeToggle(page, theme).count()) > 0) await themeToggle(page, theme).click();
  else if ((await themeToggle(page, other).count()) === 0)
    await page.evaluate(`document.querySelectorAll('.hbp-root').forEach((el) => el.setAttribute('data-theme', '${theme}'))`);
};

/** Saves the screen as it is now, light and dark, 1280 and 390 px wide (full page), then puts it back to light 1280. */
export const screenshots = async (page: Page, name: string): Promise<string[]> => {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const saved: string[] = [];
  for (const theme of ['light', 'dark'] as const) {
    await setTheme(page, theme);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const path = join(SCREENSHOT_DIR, `${name}-${theme}-${width}.png`);
      await page.screenshot({ path, fullPage: true, animations: 'disabled' });
      saved.push(path);
    }
  }
  await setTheme(page, 'light');
  await page.setViewportSize({ width: 1280, height: 900 });
  return saved;
};

/** Uncaught page errors and failed console calls, to assert a screen rendered without them. */
export const watchErrors = (page: Page): string[] => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) errors.push(message.text());
  });
  return errors;
};
