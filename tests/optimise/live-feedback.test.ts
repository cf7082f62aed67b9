/**
 * Live feedback (seed section 8): a strategy version's own recent closed positions, in its
 * system mode only, scored with the study's objective and blended with its backtest score,
 * with weight 0 on too little evidence. Both backends, positions as the brokers store them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { finalScore, LIVE_FEEDBACK_DAYS, LIVE_FEEDBACK_MIN_TRADES, liveRecord } from '../../optimise/live-feedback.ts';
import { tradingScope, type TradingScope } from '../../trading/scope.ts';
import { insertVersion } from '../../trading/strategies/strategy-versions.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

const DAY = 86_400_000;
const now = new Date('2026-06-30T12:00:00Z');

/** A closed position of `net` P&L after fees, risking 100 (1 % of a 10,000 account), closed `daysAgo` days before now. */
interface Closed {
  daysAgo: number;
  net: number;
  version: number | null;
  strategy?: string;
}

describe('the final score', () => {
  it('blends backtest and live by the weight, and is the backtest score alone without live evidence', () => {
    expect(finalScore(2, { score: 1, weight: 0.25 })).toBeCloseTo(1.75, 12);
    expect(finalScore(2, { score: 1, weight: 1 })).toBe(1);
    expect(finalScore(2, { score: null, weight: 0.5 })).toBe(2);
    expect(finalScore(2, { score: 5, weight: 0 })).toBe(2);
    // An infeasible backtest is not rescued by a good live record.
    expect(finalScore(null, { score: 5, weight: 0.5 })).toBeNull();
  });
});

describe.each(backends)('live records on %s', (kind) => {
  let db: TestDb;
  let version: number;
  beforeEach(async () => {
    db = await freshDb(kind);
    version = await insertVersion(db, {
      strategy_id: 'breakout',
      params: {},
      suitable_risk_profiles: ['medium', 'high'],
      markets: null,
      study_id: null,
      report: null,
    });
  });
  afterEach(async () => db?.dispose());

  const close = async (scope: TradingScope, rows: Closed[]) => {
    for (const [i, r] of rows.entries()) {
      const closedAt = new Date(now.getTime() - r.daysAgo * DAY);
      await db.query(
        `insert into ${scope.table('positions')} (exchange, symbol, timeframe, category, side, qty, open_qty, entry_price,
           stop_price, margin, risk_amount, risk_pct, status, opened_at, checked_through, closed_at, close_reason,
           realized_pnl, fees_paid, strategy_id, strategy_version)
         values ('binance', $1, '1h', 'major', 'long', 1, 0, 100, 99, 100, 100, 1, 'closed', $2, $2, $3, 'take_profit',
           $4, 2, $5, $6)`,
        [
          `S${i}/USDT`,
          new Date(closedAt.getTime() - DAY / 2),
          closedAt,
          r.net + 2,
          r.strategy ?? 'breakout',
          r.version,
        ],
      );
    }
  };
  const record = (scope: TradingScope, v: number | null, weight = 0.3) =>
    liveRecord(db, scope, {
      strategyId: 'breakout',
      version: v,
      objective: 'sharpe',
      constraints: { maxDrawdownPct: 20, minTrades: 5 },
      weight,
      now,
    });

  it(`gives the live score weight 0 below ${LIVE_FEEDBACK_MIN_TRADES} trades, and reads only the version's own recent trades in its mode`, async () => {
    const test = tradingScope('TEST');
    const wins = (n: number, v: number | null, extra: Partial<Closed> = {}) =>
      Array.from({ length: n }, (_, i) => ({
        daysAgo: 40 - i * 3,
        net: i % 3 === 2 ? -50 : 120,
        version: v,
        ...extra,
      }));
    await close(test, wins(LIVE_FEEDBACK_MIN_TRADES - 1, version));
    // Noise the record must ignore: another version, another strategy, older than the window, the other mode.
    await close(test, wins(5, null));
    await close(test, wins(5, version, { strategy: 'trend_following' }));
    await close(test, wins(5, version, { daysAgo: LIVE_FEEDBACK_DAYS + 5 }));
    await close(tradingScope('LIVE'), wins(5, version));

    const thin = await record(test, version);
    expect(thin).toMatchObject({ version, trades: LIVE_FEEDBACK_MIN_TRADES - 1, score: null, weight: 0 });
    expect(thin.note).toMatch(/fewer than 10: live weight 0/);

    await close(test, [{ daysAgo: 1, net: 80, version }]);
    const enough = await record(test, version);
    expect(enough).toMatchObject({ trades: LIVE_FEEDBACK_MIN_TRADES, weight: 0.3 });
    expect(enough.note).toBe(`${LIVE_FEEDBACK_MIN_TRADES} paper trades in ${LIVE_FEEDBACK_DAYS} days`);
    // The score is the objective on the daily curve the trades compound into (1 % of the account each risked 100).
    const m = enough.metrics!;
    expect(m.trades).toBe(LIVE_FEEDBACK_MIN_TRADES);
    expect(m.net_pnl).toBe(6 * 120 + 3 * -50 + 80);
    expect(m.expectancy_r).toBeCloseTo((6 * 1.2 - 3 * 0.5 + 0.8) / 10, 12);
    expect(enough.score).toBeCloseTo((m.sharpe! * 10) / (10 + LIVE_FEEDBACK_MIN_TRADES), 12);
    expect(m.total_return_pct).toBeCloseTo((1.012 ** 6 * 0.995 ** 3 * 1.008 - 1) * 100, 9);

    // The version that traded without one (the strategy's configured rows) has its own record.
    expect(await record(test, null)).toMatchObject({ version: null, trades: 5, weight: 0 });
    // LIVE reads its own schema only.
    expect(await record(tradingScope('LIVE'), version)).toMatchObject({ trades: 5, weight: 0 });
  });

  it('gives no weight to a live record that breaks the drawdown limit', async () => {
    const test = tradingScope('TEST');
    // Ten losses of 3 % each: a drawdown near 26 %, past the limit of 20 %.
    await close(
      test,
      Array.from({ length: 10 }, (_, i) => ({ daysAgo: 30 - i, net: -300, version })),
    );
    const r = await record(test, version);
    expect(r.metrics!.max_drawdown_pct).toBeCloseTo((1 - 0.97 ** 10) * 100, 9);
    expect(r).toMatchObject({ score: null, weight: 0 });
    expect(r.note).toMatch(/paper record infeasible: drawdown .* passes the profile's limit of 20 %/);
  });
});
