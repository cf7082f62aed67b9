import { afterEach, describe, expect, it } from 'vitest';
import { upsertCandles } from '../../market/candles-repo.ts';
import type { Queryable } from '../../store/db.ts';
import { applyDrawdownHalt } from '../../trading/governance/halt.ts';
import { paperBroker } from '../../trading/paper/paper-broker.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { type HaltAction, loadState } from '../../trading/state-repo.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

/** The portfolio emergency halt with each configured action, on both backends. */

const scope = tradingScope('TEST');
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const asOf = new Date(T0 + 2 * H);
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

  /** The medium profile (limit 20%), a drawdown of `drawdown`%, two pending proposals and one open BTC position with a candle to price it. */
  async function setUp(action: HaltAction, drawdown: number): Promise<void> {
    db = await freshDb(kind);
    await upsertCandles(
      db,
      { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
      { ts: [T0], open: [100], high: [101], low: [95], close: [96], volume: [1] },
    );
    await tx(async (t) => {
      const opened = await paperBroker(scope).open(t, {
        exchange: 'binance',
        symbol: 'BTC/USDT',
        timeframe: '1h',
        category: 'major',
        side: 'buy',
        qty: 10,
        entry: 100,
        stop: 90,
        take_profits: [],
        leverage: 1,
        risk_amount: 100,
        risk_pct: 1,
        strategy_id: null,
        strategy_version: null,
        source_module: null,
        run_id: null,
        proposal_id: null,
        as_of: new Date(T0),
      });
      expect(opened.ok).toBe(true);
      for (const symbol of ['ETH/USDT', 'SOL/USDT']) {
        await t.query(
          `insert into trading_test.proposals (expires_at, exchange, symbol, side, qty, entry, stop, risk_pct, leverage, notional, drawdown_pct, intent, as_of)
           values (now() + interval '1 hour', 'binance', $1, 'buy', 1, 100, 90, 1, 1, 100, 0, '{}'::jsonb, now())`,
          [symbol],
        );
      }
      await t.query(
        `update trading_test.state set equity = $1, peak_equity = 10000, drawdown_pct = $2, emergency_halt_action = $3,
        close_all_acknowledged_at = case when $3 = 'MARKET_CLOSE_ALL_AND_HALT' then now() end`,
        [10_000 * (1 - drawdown / 100), drawdown, action],
      );
    });
  }

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
