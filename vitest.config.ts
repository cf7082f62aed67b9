import { testV8Flags } from './tests/helpers/v8-flags.ts';
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
    // V8 flags that save a short-lived process CPU; spawned `trader` processes get them too
    // (why, and the figures: tests/helpers/v8-flags.ts).
    execArgv: testV8Flags,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Keep test output readable: run logs (info) are asserted through the database, not stderr.
    env: { TRADER_LOG_LEVEL: 'warn' },
  },
});
