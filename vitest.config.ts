import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', '**/*.test.ts'],
    exclude: ['node_modules/**', 'tests/.tmp/**'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Keep test output readable: run logs (info) are asserted through the database, not stderr.
    env: { TRADER_LOG_LEVEL: 'warn' },
  },
});
