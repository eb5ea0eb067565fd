import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The root config does not list inbound/ yet (it is not wired; see docs/inbound.md). Until it does, the inbound
// tests run with `npx vitest run --config inbound/vitest.config.ts`; they need no wire server, so no global setup.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['inbound/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
  },
});
