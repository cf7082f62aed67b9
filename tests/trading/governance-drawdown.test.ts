import { afterEach, describe, expect, it } from 'vitest';
import type { Queryable } from '../../store/db.ts';
import { applyDrawdownHalt } from '../../trading/governance/emergency-halt.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { type HaltAction, loadState } from '../../trading/state-repo.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { haltSceneAsOf as asOf, seedHaltScene } from '../helpers/halt-scene.ts';

/** The portfolio emergency halt with each configured action, on both backends. */

const scope = tradingScope('TEST');
const RUN = '00000000-0000-4000-8000-000000000001';

describe.each(backends)('governance: drawdown emergency halt on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.dispose());
  const tx = <T>(fn: (t: Queryable) => Promise<T>) => tradingTx(db, scope, fn);
  const audits = () =>
    db.query<{
      actor: string;
      action_type: string;
      status: string;
      details: Record<string, unknown>;
      entity_id: string | null;
    }>('select actor, action_type, status, details, entity_id from audit_trail order by seq');
  const count = async (sql: string) => Number((await tx((t) => t.query<{ n: number }>(sql)))[0]!.n);

  const setUp = async (action: HaltAction, drawdown: number) => {
    db = await freshDb(kind);
    await seedHaltScene(db, action, drawdown);
  };

  const systemRows = async () => (await audits()).filter((a) => a.action_type !== 'TRADE_EXECUTED');

  it('does nothing at or below the limit', async () => {
    await setUp('MARKET_CLOSE_ALL_AND_HALT', 20);
    expect(await tx((t) => applyDrawdownHalt(t, scope, asOf, RUN))).toEqual({
      triggered: false,
      action: 'MARKET_CLOSE_ALL_AND_HALT',
      drawdown_pct: 20,
      limit_pct: 20,
    });
    expect((await tx((t) => loadState(t, scope))).halted).toBe(false);
    expect(await systemRows()).toEqual([]);
  });

  it('HALT_ONLY: halted, emergency, one CRITICAL audit row; proposals and positions untouched', async () => {
    await setUp('HALT_ONLY', 25);
    expect(await tx((t) => applyDrawdownHalt(t, scope, asOf, RUN))).toEqual({
      triggered: true,
      action: 'HALT_ONLY',
      drawdown_pct: 25,
      limit_pct: 20,
    });
    expect(await tx((t) => loadState(t, scope))).toMatchObject({
      halted: true,
      emergency: true,
      halt_reason: 'EMERGENCY_DRAWDOWN',
    });
    expect(await systemRows()).toEqual([
      {
        actor: 'SYSTEM',
        action_type: 'EMERGENCY_HALT_TRIGGERED',
        status: 'CRITICAL',
        entity_id: RUN,
        details: expect.objectContaining({ limit_pct: 20, drawdown_pct: 25, action: 'HALT_ONLY' }),
      },
    ]);
    expect(await count(`select count(*) as n from trading_test.proposals where status = 'pending'`)).toBe(2);
    expect(await count(`select count(*) as n from trading_test.positions where status = 'open'`)).toBe(1);
    // Already halted: a second call changes nothing.
    expect((await tx((t) => applyDrawdownHalt(t, scope, asOf, RUN))).triggered).toBe(false);
    expect(await systemRows()).toHaveLength(1);
  });

  it('CANCEL_ORDERS_AND_HALT also expires every pending proposal', async () => {
    await setUp('CANCEL_ORDERS_AND_HALT', 30);
    expect((await tx((t) => applyDrawdownHalt(t, scope, asOf, RUN))).triggered).toBe(true);
    const proposals = await tx((t) =>
      t.query<{ status: string; decision_note: string; decided_at: Date | null }>(
        'select status, decision_note, decided_at from trading_test.proposals',
      ),
    );
    expect(proposals).toEqual([
      { status: 'expired', decision_note: 'cancelled by emergency halt', decided_at: expect.any(Date) },
      { status: 'expired', decision_note: 'cancelled by emergency halt', decided_at: expect.any(Date) },
    ]);
    expect(await count(`select count(*) as n from trading_test.positions where status = 'open'`)).toBe(1);
    expect((await systemRows()).map((a) => [a.action_type, a.status, a.details.count])).toEqual([
      ['EMERGENCY_HALT_TRIGGERED', 'CRITICAL', undefined],
      ['PROPOSALS_CANCELLED', 'SUCCESS', 2],
    ]);
  });

  it('MARKET_CLOSE_ALL_AND_HALT also closes every open position at market, with a slippage warning', async () => {
    await setUp('MARKET_CLOSE_ALL_AND_HALT', 40);
    expect(await tx((t) => applyDrawdownHalt(t, scope, asOf, RUN))).toEqual({
      triggered: true,
      action: 'MARKET_CLOSE_ALL_AND_HALT',
      closed: 1,
      drawdown_pct: 40,
      limit_pct: 20,
    });
    expect(await count(`select count(*) as n from trading_test.positions where status = 'open'`)).toBe(0);
    expect(await count(`select count(*) as n from trading_test.trades where kind = 'emergency_close'`)).toBe(1);
    expect(await count(`select count(*) as n from trading_test.proposals where status = 'pending'`)).toBe(0);
    const rows = await systemRows();
    expect(rows.map((a) => [a.action_type, a.status])).toEqual([
      ['EMERGENCY_HALT_TRIGGERED', 'CRITICAL'],
      ['PROPOSALS_CANCELLED', 'SUCCESS'],
      ...rows.slice(2, -1).map((a) => [a.action_type, a.status]),
      ['EMERGENCY_CLOSE_ALL', 'WARNING'],
    ]);
    expect(rows.at(-1)!.details).toMatchObject({
      closed: 1,
      skipped_without_price: [],
      slippage_warning: expect.stringMatching(/slippage/),
    });
    // Paper closes inside the halt's transaction: nothing is left pending for an exchange.
    expect(await tx((t) => loadState(t, scope))).toMatchObject({
      halt_action_pending: null,
      halt_action_problem: null,
    });
  });
});
