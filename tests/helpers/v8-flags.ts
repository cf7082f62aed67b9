/**
 * V8 flags for the suite's processes: the test files' own (vitest.config.ts) and every
 * spawned `trader` (traderArgv in cli.ts). A test's process lives seconds; V8's optimising
 * compilers (TurboFan for JavaScript, and for PGlite's WebAssembly Postgres on top of its
 * baseline Liftoff) spend CPU on background threads that such a process never earns back,
 * and CI's two cores are saturated. CPU seconds measured with V8's defaults, then with these
 * flags: `trader run` of two symbols on Postgres 3.2-3.5, 2.3-2.4; `trader runs list` on the
 * embedded database 1.4-1.7, 1.1-1.3; a 20-trial `trader optimise` 8.8, 7.8 (no slower);
 * the test file tests/orchestrator/run-pipeline 35.4, 29.8. They change how V8 compiles,
 * not what runs.
 */
export const testV8Flags = ['--liftoff-only', '--no-opt'];
