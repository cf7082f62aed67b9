import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', '**/*.test.ts'],
    // The browser suite needs Chromium: `npm run test:browser` (vitest.browser.config.ts).
    exclude: ['node_modules/**', 'tests/.tmp/**', 'tests/browser/**'],
    globalSetup: ['tests/global-setup.ts'],
    pool: 'forks',
    // The default (one worker less than the cores) is a single worker on the 2-core CI
    // machines. Most suites wait on Postgres, PGlite or a spawned `trader`, so more workers
    // overlap that waiting; measured here: the whole suite went from 1,025 s to 660 s with
    // three. With three, a CI run still left a fifth of its two cores idle (53 min of CPU in
    // 32.6 min), so a fourth fills some of it.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Keep test output readable: run logs (info) are asserted through the database, not stderr.
    env: { TRADER_LOG_LEVEL: 'warn' },
  },
});
