// Which Chromium the browser tests launch (test/browser/chromium.ts), on made-up machines: no browser starts here.
import { describe, expect, it } from 'vitest';
import type { ChromiumLookup } from './chromium';
import { chooseChromium, fontconfigFor } from './chromium';

const machine = (executables: string[], env: NodeJS.ProcessEnv = {}): ChromiumLookup & { npmCalls: number } => {
  const lookup = {
    npmCalls: 0,
    env: { PATH: '/usr/local/bin:/usr/bin:/snap/bin', ...env },
    isExecutable: (path: string) => executables.includes(path),
    npmChromium: async () => {
      lookup.npmCalls += 1;
      return '/tmp/chromium';
    },
  };
  return lookup;
};

describe('the browser tests\' Chromium', () => {
  it('is HOOKBASE_CHROMIUM when set, before the system\'s', async () => {
    const m = machine(['/opt/chrome/chrome', '/usr/bin/chromium'], { HOOKBASE_CHROMIUM: '/opt/chrome/chrome' });
    expect(await chooseChromium(m)).toEqual({ executablePath: '/opt/chrome/chrome', from: 'HOOKBASE_CHROMIUM' });
    expect(m.npmCalls).toBe(0);
  });

  it('refuses a HOOKBASE_CHROMIUM that is not executable rather than testing another browser', async () => {
    const m = machine(['/usr/bin/chromium'], { HOOKBASE_CHROMIUM: '/nowhere/chrome' });
    await expect(chooseChromium(m)).rejects.toThrow('HOOKBASE_CHROMIUM=/nowhere/chrome is not an executable file');
  });

  it('is the system\'s next, by name on PATH: chromium before chromium-browser before Chrome', async () => {
    expect(await chooseChromium(machine(['/usr/bin/chromium', '/usr/bin/chromium-browser']))).toEqual({ executablePath: '/usr/bin/chromium', from: 'system' });
    expect(await chooseChromium(machine(['/snap/bin/chromium-browser', '/usr/bin/google-chrome']))).toEqual({ executablePath: '/snap/bin/chromium-browser', from: 'system' });
    expect(await chooseChromium(machine(['/usr/bin/google-chrome-stable']))).toEqual({ executablePath: '/usr/bin/google-chrome-stable', from: 'system' });
    // An empty HOOKBASE_CHROMIUM is unset.
    expect(await chooseChromium(machine(['/usr/bin/chromium'], { HOOKBASE_CHROMIUM: '' }))).toMatchObject({ from: 'system' });
  });

  it('is the npm package\'s last, with the fonts it ships, decompressed only then', async () => {
    const m = machine([]);
    expect(await chooseChromium(m)).toEqual({ executablePath: '/tmp/chromium', from: 'npm', fontsDir: '/tmp/fonts' });
    expect(m.npmCalls).toBe(1);
    // A PATH without a Chromium on it (a chromium directory is not one).
    expect(await chooseChromium(machine(['/usr/bin'], { PATH: '/usr/bin' }))).toMatchObject({ from: 'npm' });
  });

  it('gives the npm build the system\'s fonts when there are any and its own always', () => {
    const conf = fontconfigFor('/tmp/fonts', '/tmp/profile');
    expect(conf).toContain('<include ignore_missing="yes">/etc/fonts/fonts.conf</include>');
    expect(conf).toContain('<dir>/tmp/fonts</dir>');
    expect(conf).toContain('<cachedir>/tmp/profile/fontconfig-cache</cachedir>');
  });
});
