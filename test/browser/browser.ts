import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { recordChild } from '../wire/children';
import type { ChromiumChoice } from './chromium';
import { chooseChromium, fontconfigFor, isExecutableFile, npmChromium } from './chromium';

/** The same for every Chromium: headless, no sandbox (containers, root), no GPU, nothing talking to Google. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type TestBrowser = { context: BrowserContext; chromium: ChromiumChoice; close: () => Promise<void> };

/**
 * Headless Chromium (test/browser/chromium.ts says which) with a fresh profile: playwright gives it a
 * new `--user-data-dir` in the temp dir and deletes it on close. Its process is recorded, so the run's teardown
 * kills it (and its renderers: playwright starts it in a process group of its own) if this worker dies first.
 */
export const launchBrowser = async (): Promise<TestBrowser> => {
  const choice = await chooseChromium({ env: process.env, isExecutable: isExecutableFile, npmChromium });
  const scratch = mkdtempSync(join(tmpdir(), 'hookbase-chromium-'));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  if (choice.fontsDir) {
    const file = join(scratch, 'fonts.conf');
    writeFileSync(file, fontconfigFor(choice.fontsDir, scratch));
    env.FONTCONFIG_FILE = file;
  }
  // launchServer, not launch: only a BrowserServer hands out the browser's process, to record it.
  const server = await chromium.launchServer({ executablePath: choice.executablePath, headless: true, args: CHROMIUM_ARGS, env, timeout: 30_000 });
  recordChild(server.process());
  const browser = await chromium.connect(server.wsEndpoint(), { timeout: 30_000 });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Well under the test timeout, so a missing element fails with its locator rather than a bare timeout.
  context.setDefaultTimeout(10_000);
  return {
    context,
    chromium: choice,
    close: async () => {
      await browser.close();
      await server.close();
      rmSync(scratch, { recursive: true, force: true });
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
