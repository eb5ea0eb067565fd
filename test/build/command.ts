import { join } from 'node:path';
import type { BundleEntry } from './bundle';
import { BUNDLE_ENTRIES } from './bundle';

/** The run's bundle directory (test/build/globalSetup.ts sets it). */
export const TEST_BUILD_VARIABLE = 'HOOKBASE_TEST_BUILD';
/** `HOOKBASE_TEST_TSX=1`: no bundle; the tests start every child through tsx, from the sources, as before. */
export const TEST_TSX_VARIABLE = 'HOOKBASE_TEST_TSX';

export const usesTsx = (): boolean => process.env[TEST_TSX_VARIABLE] === '1' || !process.env[TEST_BUILD_VARIABLE];

/**
 * `node`'s arguments to run one of Hookbase's programs in a test's child process: the run's bundle
 * (test/build/bundle.ts) when there is one, else the TypeScript sources through tsx (HOOKBASE_TEST_TSX=1, or a
 * test file run outside vitest's global setup). Relative source paths are the repository root's, the tests' cwd.
 */
export const programArgs = (entry: BundleEntry): string[] => {
  const dir = process.env[TEST_BUILD_VARIABLE];
  if (usesTsx() || !dir) return ['--import', 'tsx', BUNDLE_ENTRIES[entry]];
  return [join(dir, `${entry}.js`)];
};
