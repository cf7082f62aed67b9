import { defineConfig } from 'vitest/config';

/**
 * `npm run test:browser`: the dashboard driven in real Chromium (Debian's `chromium`)
 * through playwright-core. Kept apart from `npm test`, which must not need a browser.
 */
export default defineConfig({
  test: {
    include: ['tests/browser/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 90_000,
    hookTimeout: 120_000,
    env: { TRADER_LOG_LEVEL: 'warn' },
  },
});
