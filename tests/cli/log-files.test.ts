import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoAsOfIso, expectCleanError, ok, runTrader, type Target } from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

/** TEST and LIVE processes append to log files of their own, never to each other's; the mode itself is validated. */
describe('separate log files per system mode (pglite)', () => {
  let t: Target;
  const logFile = (mode: 'test' | 'live') => path.join(t.home!, 'logs', `${mode}.log`);
  const lines = (mode: 'test' | 'live') =>
    fs.existsSync(logFile(mode))
      ? fs
          .readFileSync(logFile(mode), 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { msg: string; mode?: string })
      : [];

  beforeAll(async () => {
    t = await demoTarget('pglite');
  }, 300_000);
  afterAll(async () => t?.dispose());

  it('a TEST run writes test.log only; a LIVE run writes live.log only', async () => {
    const info = { ...t.env, TRADER_LOG_LEVEL: 'info' };
    await ok({ ...t, env: info }, 'run', '--symbols', 'BTC/USDT', '--as-of', demoAsOfIso, '--offline');
    const test = lines('test');
    expect(test.map((l) => l.msg)).toEqual(expect.arrayContaining(['run started', 'run finished']));
    expect(test.some((l) => l.msg.startsWith('OBSERVED') && l.mode === 'TEST')).toBe(true);
    expect(lines('live')).toEqual([]);

    const live = await runTrader(['run', '--symbols', 'BTC/USDT', '--as-of', demoAsOfIso, '--offline'], {
      ...info,
      TRADER_SYSTEM_MODE: 'LIVE',
    });
    expect(live.code, live.stderr).toBe(0);
    expect(lines('live').map((l) => l.msg)).toEqual(expect.arrayContaining(['run started', 'run finished']));
    expect(lines('test')).toHaveLength(test.length);
  }, 180_000);

  it('an unknown system mode is refused before anything is opened', async () => {
    const r = await runTrader(['status'], { ...t.env, TRADER_SYSTEM_MODE: 'PAPER' });
    expectCleanError(
      r,
      2,
      /^trader: TRADER_SYSTEM_MODE is 'PAPER'; set it to TEST \(paper trading, the default\) or LIVE\.$/,
    );
  }, 60_000);
});
