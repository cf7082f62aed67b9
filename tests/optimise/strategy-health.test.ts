/**
 * A strategy whose modules keep failing is disabled by itself after STRATEGY_FAILURE_LIMIT
 * runs in a row (audited, loud in status, refused by the next run) and enabled again only
 * by the user; a run without failure resets the count. Both backends.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { loadTradingStatus } from '../../trading/governance/trading-status.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import {
  enableStrategy,
  listStrategyHealth,
  STRATEGY_FAILURE_LIMIT,
} from '../../trading/strategies/strategy-health.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';
import { addSlots, forceActive, importSample, registerFixtures, runOptions } from '../helpers/pipeline.ts';

const scope = tradingScope('TEST');

describe.each(backends)('strategy health on %s', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(kind);
    await importSample(db, 'BTC');
    await registerFixtures(db, ['context/fixture_state_v1.ts', 'agents/throws_v1.ts', 'agents/always_long_v1.ts']);
    await forceActive(db, ['throws_v1']);
    await addSlots(db, [
      { stage: 'context', module_id: 'fixture_state_v1' },
      { stage: 'agent', module_id: 'always_long_v1' },
    ]);
    await db.query(
      "insert into strategy_config (strategy_id, stage, position, module_id) values ('fragile', 'agent', 0, 'throws_v1')",
    );
  });
  afterEach(async () => db?.dispose());

  const health = async () => (await tradingTx(db, scope, (tx) => listStrategyHealth(tx, scope)))[0];

  it(`disables a strategy after ${STRATEGY_FAILURE_LIMIT} failing runs in a row, loudly; only the user enables it again`, async () => {
    const run = () => runPipeline(db, runOptions({ strategyId: 'fragile' }));
    for (let i = 1; i < STRATEGY_FAILURE_LIMIT; i++) await run();
    expect(await health()).toMatchObject({ consecutive_failures: STRATEGY_FAILURE_LIMIT - 1, disabled_at: null });
    // A run of the pipeline without the strategy does not count for it.
    await runPipeline(db, runOptions());
    expect((await health())!.consecutive_failures).toBe(STRATEGY_FAILURE_LIMIT - 1);

    await run();
    const disabled = await health();
    expect(disabled).toMatchObject({
      consecutive_failures: STRATEGY_FAILURE_LIMIT,
      disabled_reason: expect.stringMatching(
        /^5 runs in a row with a failing module \(last: throws_v1 on BTC\/USDT: module threw: fixture exploded on purpose/,
      ),
    });
    const [audit] = await db.query<{ status: string }>(
      `select status from audit_trail where action_type = 'STRATEGY_DISABLED' and entity_id = 'fragile'`,
    );
    expect(audit).toEqual({ status: 'CRITICAL' });
    expect((await loadTradingStatus(db, scope)).disabled_strategies.map((d) => d.strategy_id)).toEqual(['fragile']);
    await expectTraderError(
      run(),
      'CONFIG_INVALID',
      /strategy fragile: was disabled after 5 runs in a row.*trader strategy enable fragile/s,
    );

    await tradingTx(db, scope, (tx) => enableStrategy(tx, scope, 'fragile', 'medium'));
    expect(await health()).toMatchObject({ consecutive_failures: 0, disabled_at: null });
    await expectTraderError(
      tradingTx(db, scope, (tx) => enableStrategy(tx, scope, 'fragile', 'medium')),
      'BAD_INPUT',
      /is not disabled in TEST/,
    );
    const [enabled] = await db.query<{ actor: string }>(
      `select actor from audit_trail where action_type = 'STRATEGY_ENABLED'`,
    );
    expect(enabled).toEqual({ actor: 'USER' });
  }, 180_000);

  it('a run without a failing module resets the count', async () => {
    await runPipeline(db, runOptions({ strategyId: 'fragile' }));
    await runPipeline(db, runOptions({ strategyId: 'fragile' }));
    expect((await health())!.consecutive_failures).toBe(2);
    await db.query("update strategy_config set module_id = 'always_long_v1' where strategy_id = 'fragile'");
    await runPipeline(db, runOptions({ strategyId: 'fragile' }));
    expect(await health()).toMatchObject({ consecutive_failures: 0, last_failure: expect.stringMatching(/throws_v1/) });
  }, 120_000);
});
