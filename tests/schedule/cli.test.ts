import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterCliBackend, expectCleanError, ok, runTrader, type Target } from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

/**
 * `trader schedule add / list / remove` through the real bin, once: what is behind them
 * (validation, the tick claims, the missed-run policy, audit rows) is tested in-process
 * on both backends in scheduler.test.ts. Every spawn costs a second or two.
 */
describe.each(adapterCliBackend)('trader schedule through the real bin (%s)', (kind) => {
  let t: Target;
  beforeAll(async () => {
    t = await demoTarget(kind, { data: false });
  }, 120_000);
  afterAll(async () => t?.dispose());

  it('adds, lists and removes a schedule; a bad cron expression is one sentence and exit 2', async () => {
    const added = JSON.parse(
      (
        await ok(
          t,
          'schedule',
          'add',
          '30 2 * * *',
          '--symbols',
          'BTC/USDT,ETH/USDT',
          '--timezone',
          'Europe/Berlin',
          '--name',
          'nightly',
          '--json',
        )
      ).stdout,
    ) as {
      ok: boolean;
      schedule: {
        schedule_id: number;
        name: string;
        cron: string;
        timezone: string;
        system_mode: string;
        symbols: string[];
      };
      next_ticks: string[];
    };
    expect(added.ok).toBe(true);
    expect(added.schedule).toMatchObject({
      name: 'nightly',
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      system_mode: 'TEST',
      symbols: ['BTC/USDT', 'ETH/USDT'],
    });
    expect(added.next_ticks).toHaveLength(3);

    const bad = await runTrader(['schedule', 'add', '0 24 * * *', '--symbols', 'BTC/USDT'], t.env);
    expect(bad.stdout).toBe('');
    expectCleanError(bad, 2, /^trader: The cron expression '0 24 \* \* \*' is invalid \(.*0-23\); use five fields/);

    const listed = JSON.parse((await ok(t, 'schedule', 'list', '--json')).stdout) as {
      schedules: { schedule_id: number; name: string; next_tick: string; last_tick: null }[];
    };
    expect(listed.schedules.map((s) => [s.schedule_id, s.name, s.last_tick])).toEqual([
      [added.schedule.schedule_id, 'nightly', null],
    ]);
    expect(listed.schedules[0]!.next_tick).toBe(added.next_ticks[0]);

    const removed = JSON.parse((await ok(t, 'schedule', 'remove', 'nightly', '--yes', '--json')).stdout) as {
      ok: boolean;
      removed: { schedule_id: number };
    };
    expect(removed).toMatchObject({ ok: true, removed: { schedule_id: added.schedule.schedule_id } });
  });
});
