import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_PARENT, bundleForTests } from './bundle';
import { TEST_BUILD_VARIABLE, TEST_TSX_VARIABLE } from './command';

/**
 * Bundles the server once for the run (test/build/bundle.ts) into a directory of its own under `.test-build/`
 * (two runs side by side do not share one), tells the test files where (HOOKBASE_TEST_BUILD), and deletes it at
 * the end. Listed first in vitest.config.ts, so that the other global setups' children use it too.
 * HOOKBASE_TEST_TSX=1: nothing is built; every child runs the sources through tsx.
 */
export default async function setup(): Promise<(() => void) | undefined> {
  if (process.env[TEST_TSX_VARIABLE] === '1') {
    delete process.env[TEST_BUILD_VARIABLE];
    return undefined;
  }
  mkdirSync(BUILD_PARENT, { recursive: true });
  const dir = mkdtempSync(join(BUILD_PARENT, 'run-'));
  const started = performance.now();
  await bundleForTests(dir);
  console.log(`test build: bundled the server into ${dir} in ${Math.round(performance.now() - started)} ms`);
  process.env[TEST_BUILD_VARIABLE] = dir;
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  // Ctrl-C: vitest may exit without calling teardown (as in test/wire/globalSetup.ts).
  process.once('exit', remove);
  return remove;
}
