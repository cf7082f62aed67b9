import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshTarget, runTrader, spawnTrader, type Target } from '../helpers/cli.ts';
import { prepareDemo } from '../helpers/demo-template.ts';

/**
 * Exactly once per tick across machines: two schedulers started together with
 * `schedule run --once --distributed` find the same tick due; one claims it and opens one
 * distributed run with one job per symbol, the other leaves it. A worker decides it.
 */
describe('two schedulers on one Postgres, --distributed', () => {
  let t: Target;
  beforeAll(async () => {
    t = await freshTarget('postgres');
    await prepareDemo(t);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('enqueue a tick once and print the same tick result as a local one', async () => {
    const add = await runTrader(
      [
        'schedule',
        'add',
        '0 * * * *',
        '--symbols',
        'BTC/USDT,ETH/USDT',
        '--offline',
        '--name',
        'hourly',
        '--grace-minutes',
        '120',
      ],
      t.env,
    );
    expect(add.code, add.stderr).toBe(0);
    // Added just before this hour began, so this hour's tick (and only it) is due now.
    await t.sql!`update schedules set created_at = date_trunc('hour', now()) - interval '1 second'`;
    const worker = spawnTrader(['worker', '--concurrency', '1'], { ...t.env, TRADER_QUEUE_POLL_MS: '100' });
    try {
      const [a, b] = await Promise.all(
        [0, 1].map(() => runTrader(['schedule', 'run', '--once', '--distributed', '--json'], t.env)),
      );
      for (const r of [a!, b!]) expect(r.code, r.stderr).toBe(0);
      const ticks = [a!, b!].flatMap(
        (r) => (JSON.parse(r.stdout) as { ticks: { outcome: string; run_id?: string; status?: string }[] }).ticks,
      );
      const ran = ticks.filter((x) => x.outcome === 'ran');
      expect(ran).toHaveLength(1);
      // The other found it claimed, or (started after the claim was finished) nothing due.
      expect(ticks.filter((x) => x.outcome !== 'ran').map((x) => x.outcome)).toEqual(
        ticks.length === 2 ? ['taken'] : [],
      );
      const runId = ran[0]!.run_id!;
      const runs = await t.sql!`select run_id, distributed, status from pipeline_runs`;
      expect(runs).toEqual([{ run_id: runId, distributed: true, status: ran[0]!.status }]);
      const jobs =
        await t.sql!`select data->>'symbol' as symbol, state from pgboss.job where name = 'test-runs' order by 1`;
      expect(jobs).toEqual([
        { symbol: 'BTC/USDT', state: 'completed' },
        { symbol: 'ETH/USDT', state: 'completed' },
      ]);
      const [decided] = await t.sql!`select count(*)::int as n from run_decisions where run_id = ${runId}`;
      expect(decided!.n).toBe(2);
    } finally {
      process.kill(worker.pid, 'SIGTERM');
      await worker.done;
    }
  }, 120_000);
});
