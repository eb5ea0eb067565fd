import { accessSync, constants, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

/**
 * Which Chromium the browser tests drive, first found of: `HOOKBASE_CHROMIUM`; the system's (Debian's chromium or
 * another distribution's, on PATH); the one shipped inside the npm package `@sparticuz/chromium` (a headless build
 * whose binary and fonts are in the package, decompressed to the temp dir on first use), so that `npm test`
 * needs nothing installed beyond `npm install`. playwright-core never downloads a browser.
 */
export type ChromiumChoice = Readonly<{
  executablePath: string;
  from: 'HOOKBASE_CHROMIUM' | 'system' | 'npm';
  /** The npm build's fonts folder (it ships Open Sans, for a machine without fonts); none for the others. */
  fontsDir?: string;
}>;

/** Names a system Chromium goes by, looked up on PATH in this order. */
export const SYSTEM_CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'] as const;

export type ChromiumLookup = Readonly<{
  env: NodeJS.ProcessEnv;
  isExecutable: (path: string) => boolean;
  /** Decompresses the npm build if needed, answers its binary's path. */
  npmChromium: () => Promise<string>;
}>;

export const isExecutableFile = (path: string): boolean => {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

const systemChromium = (env: NodeJS.ProcessEnv, isExecutable: (path: string) => boolean): string | undefined => {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of SYSTEM_CHROMIUM_NAMES) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
};

export const chooseChromium = async ({ env, isExecutable, npmChromium }: ChromiumLookup): Promise<ChromiumChoice> => {
  const configured = env.HOOKBASE_CHROMIUM;
  if (configured !== undefined && configured !== '') {
    // Set on purpose: a wrong path is an error to fix, not a reason to test another browser silently.
    if (!isExecutable(configured)) throw new Error(`HOOKBASE_CHROMIUM=${configured} is not an executable file; unset it to use the system's Chromium or the npm one`);
    return { executablePath: configured, from: 'HOOKBASE_CHROMIUM' };
  }
  const system = systemChromium(env, isExecutable);
  if (system) return { executablePath: system, from: 'system' };
  const executablePath = await npmChromium();
  // The package decompresses its fonts beside the binary (`fonts.tar.br` → <tmp>/fonts).
  return { executablePath, from: 'npm', fontsDir: join(dirname(executablePath), 'fonts') };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `@sparticuz/chromium`'s `executablePath()`: it returns `<tmp>/chromium` as soon as that file exists, so two test
 * processes decompressing at once could launch a half-written binary. A lock directory makes them take turns; one
 * older than two minutes was left by a killed run.
 */
export const npmChromium = async (): Promise<string> => {
  const lock = join(tmpdir(), 'hookbase-npm-chromium.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      await sleep(100);
    }
  }
  try {
    const { default: Chromium } = await import('@sparticuz/chromium');
    return await Chromium.executablePath();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
};

/**
 * A fontconfig file for the npm build: the system's fonts when it has any, and the package's own (so text renders
 * on a machine with none), with a cache in `dir`. Chromium reads it through FONTCONFIG_FILE.
 */
export const fontconfigFor = (fontsDir: string, dir: string): string =>
  [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
    '<fontconfig>',
    '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
    `  <dir>${fontsDir}</dir>`,
    `  <cachedir>${join(dir, 'fontconfig-cache')}</cachedir>`,
    '</fontconfig>',
    '',
  ].join('\n');
