import { defineConfig } from 'vitest/config';

// A tiny vitest project for test/teardown.test.ts: the run's own wire global setup (jongodb, the registry of
// children and its reaper), one test file that starts children and then fails or hangs.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/teardown/startsChildren.fixture.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    globalSetup: ['test/wire/globalSetup.ts'],
    reporters: ['default'],
  },
});
