import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{domain,store,projections,dispatcher,api,cli,sdk/src,portal/src,test}/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
  },
});
