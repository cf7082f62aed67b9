import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cliBackends, listRuns, ok, type Target } from '../helpers/cli.ts';
import { runawayTarget, spawnWatched } from './long-commands.ts';

/**
 * SIGTERM stops a long-running command within 5 s even while a module loops (the 5 s is
 * the documented promise, not a tuning figure): exit 143, one sentence, the run closed as
 * failed (never left running), the embedded database's lock released for the next command.
 */
describe.each(cliBackends)('SIGTERM through the bin (%s)', (kind) => {
  let prepared: Target;
  let t: Target;
  beforeAll(async () => {
    prepared = await runawayTarget(kind);
  }, 180_000);
  afterAll(async () => prepared.dispose());
  beforeEach(async () => {
    t = await prepared.clone();
  });
  afterEach(async () => t.dispose());
  const logDir = () => path.join(os.tmpdir(), `trader-sigterm-${process.pid}-${Math.random().toString(36).slice(2)}`);

  it(
    'trader run: the looping module is interrupted, the run is closed as failed, the next command works',
    { timeout: 180_000 },
    async () => {
      const child = spawnWatched(
        ['run', '--symbols', 'ETH/USDT', '--as-of', '2024-03-05T02:00:00Z', '--offline'],
        t,
        logDir(),
      );
      await child.waitFor(/run started/);
      child.signal('SIGTERM');
      const { code, afterSignal } = await child.exited;
      expect(code, child.stderr()).toBe(143);
      expect(afterSignal).toBeLessThan(5_000);
      expect(child.stderr()).toMatch(/^trader: stopped by SIGTERM before it finished; nothing was half-written$/m);
      expect(child.stderr()).not.toMatch(/^\s+at /m);
      const runs = await listRuns(t);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/stopped by SIGTERM/) });
      // Lock released: the next run starts (and this time its module is stopped at its own limit).
      await ok(t, 'runs', 'list');
    },
  );

  it('trader backtest: stops within 5 s, saves nothing', { timeout: 180_000 }, async () => {
    const args = ['backtest', '--symbols', 'ETH/USDT', '--from', '2024-03-01', '--to', '2024-03-10'];
    const child = spawnWatched(args, t, logDir());
    await child.waitFor(/backtest replay started/);
    child.signal('SIGTERM');
    const { code, afterSignal } = await child.exited;
    expect(code, child.stderr()).toBe(143);
    expect(afterSignal).toBeLessThan(5_000);
    expect(child.stderr()).toMatch(/^trader: stopped by SIGTERM/m);
    const listed = JSON.parse((await ok(t, 'backtest', 'list', '--json')).stdout) as { backtests: unknown[] };
    expect(listed.backtests).toEqual([]);
  });
});
