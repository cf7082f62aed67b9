import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', '**/*.test.ts'],
    // The browser suite needs Chromium: `npm run test:browser` (vitest.browser.config.ts).
    exclude: ['node_modules/**', 'tests/.tmp/**', 'tests/browser/**'],
    globalSetup: ['tests/global-setup.ts'],
    pool: 'forks',
    // The default (one worker less than the cores) is a single worker on the 2-core CI
    // machines. Most suites wait on Postgres, PGlite or a spawned `trader`, so three
    // workers overlap that waiting; measured here: the whole suite went from 1,025 s to 660 s.
    // A fourth was slower (1,642 s -> 1,822 s): each worker transforms and imports the code again.
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Keep test output readable: run logs (info) are asserted through the database, not stderr.
    env: { TRADER_LOG_LEVEL: 'warn' },
  },
});
