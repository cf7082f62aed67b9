import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { getRunTrace } from '../../engine/run/runs-repo.ts';
import { seedDefaults } from '../../orchestrator/seed.ts';
import { packStrategies } from '../../registry/default-pack.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { demoDb, runOptions } from '../helpers/pipeline.ts';

describe.each(backends)('the seeded strategies on %s', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await demoDb(kind);
  });
  afterEach(async () => db.dispose());

  it('seeding is idempotent and keeps user changes to configuration rows', async () => {
    await db.query(
      "update strategy_config set params = '{\"min_score\": 0.5}' where strategy_id = 'trend_following' and module_id = 'weighted_score_v1'",
    );
    const again = await seedDefaults(db);
    expect([again.pipeline_rows_added, again.strategy_rows_added]).toEqual([0, 0]);
    const [row] = await db.query<{ params: unknown }>(
      "select params from strategy_config where strategy_id = 'trend_following' and module_id = 'weighted_score_v1'",
    );
    expect(row!.params).toEqual({ min_score: 0.5 });
  });

  it.each(packStrategies.map((s) => s.id))(
    '%s runs the full pack on real 2024 data with no module error or contract violation',
    async (strategyId) => {
      for (const asOf of ['2024-03-05T02:00:00Z', '2024-08-05T14:00:00Z']) {
        const summary = await runPipeline(
          db,
          runOptions({ symbols: ['BTC/USDT', 'ETH/USDT'], strategyId, asOf: new Date(asOf), env: process.env }),
        );
        expect(summary.errors).toEqual([]);
        expect(summary.status).toBe('succeeded');
        const { logs } = await getRunTrace(db, summary.run_id);
        expect(logs.filter((l) => l.event === 'contract_violation' || l.event === 'module_error')).toEqual([]);
        // A module whose input was legitimately not produced (no idea → no stop plan) is skipped, and says why.
        for (const l of logs.filter((x) => x.event === 'skipped'))
          expect(l.message).toMatch(/^(run_when not met|skipped: no [\w, ]+ was produced earlier)/);
        const contextRan = logs
          .filter((l) => l.symbol === 'BTC/USDT' && l.stage === 'context' && l.event === 'ran')
          .map((l) => l.module_id);
        expect(contextRan).toHaveLength(7);
      }
    },
  );

  it('the breakout strategy sizes the 2024-03-05 breakout through the dynamic risk chain', async () => {
    const summary = await runPipeline(
      db,
      runOptions({ symbols: ['BTC/USDT'], strategyId: 'breakout', env: process.env }),
    );
    const intent = summary.symbols[0]!.intents[0]!;
    expect(intent).toMatchObject({ side: 'buy', source: 'fixed_fractional_v2', entry: 68506.04 });
    expect(intent.risk_amount).toBeLessThanOrEqual(100);
    expect(intent.risk_amount).toBeGreaterThan(99.9);
  });
});
