import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{domain,inbound,store,observability,projections,dispatcher,api,cli,sdk/src,portal/src,test}/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Collects the test Hookbases' logs and scans them for issued credentials at the end (test/logCollector.ts).
    // The process flags the composition root sets (cli/v8Flags.ts), for tests that compile filter regexes.
    setupFiles: ['test/v8Flags.setup.ts'],
    globalSetup: ['test/build/globalSetup.ts', 'test/globalSetup.ts', 'test/wire/globalSetup.ts'],
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
  },
});
