/**
 * A backtest decides at bar t exactly as a live `trader run` at as-of t would, on the same
 * data: the demo database (seeded pack, real BTC/ETH 2024 1h candles, macro history),
 * replayed over 2024-03-01..03-08, every decision kept through runBacktest's `record` hook.
 * For each bar decided while the backtest account was still untouched (equity 10,000, no
 * position, nothing closed: what a fresh paper account shows a live run), a live run at that
 * as_of is made to load exactly the candles the backtest's view held (the view at bar k is
 * full-series bars 0..k, so historyBars = k + 1) and must reach the same outcome, reason,
 * intents and signal/idea counts. The live runs are in the TEST account's default `observe`
 * mode, so they record intents without trading and every live run sees the initial account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../backtest/run-backtest.ts';
import { loadCandleSeries } from '../../market/candles-repo.ts';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import type { SymbolOutcome } from '../../engine/run/run-types.ts';
import type { TestDb } from '../helpers/db.ts';
import { demoDb, runOptions } from '../helpers/pipeline.ts';

const symbols = ['BTC/USDT', 'ETH/USDT'];
const HISTORY = 300;
const MIN_BARS = Math.min(HISTORY, 100); // what runBacktest hands data health

describe('backtest decisions equal live runs at the same as-of', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await demoDb('pglite');
  }, 300_000);
  afterAll(async () => db?.dispose());

  it.each([
    ['the default pipeline', null],
    ['the trend_following strategy (macro, session, levels, positions)', 'trend_following'],
  ])(
    '%s',
    async (_label, strategyId) => {
      const r = await runBacktest(
        db,
        {
          symbols,
          exchange: 'binance',
          timeframe: '1h',
          from: new Date('2024-03-01T00:00:00Z'),
          to: new Date('2024-03-08T00:00:00Z'),
          pipelineId: 'default',
          strategyId,
          initialEquity: 10_000,
          feeBps: 10,
          slippageBps: 5,
          historyBars: HISTORY,
          env: process.env,
        },
        { record: () => true },
      );
      expect(r.report.module_errors).toEqual([]);
      expect(r.trades.length).toBeGreaterThan(0);
      const first = r.trades.reduce((a, t) => (t.entry_ts < a.entry_ts ? t : a));
      const firstFill = first.entry_ts;

      const untouched = r.recorded.filter(
        (b) =>
          b.inputs.account.equity === 10_000 &&
          b.inputs.account.free_balance === 10_000 &&
          b.inputs.account.positions.open.length === 0 &&
          b.inputs.account.positions.recent_closed.length === 0,
      );
      // Those are exactly the decisions made by the first fill (a fill at an open t is after every decision at close <= t),
      // except those of the markets deciding after the first entry at its close: its cost is already reserved from
      // their free cash, as a live Full-Auto run that executed it would show them.
      const later = symbols.slice(symbols.indexOf(first.symbol) + 1);
      const reserved = r.recorded.filter(
        (b) => Date.parse(b.inputs.run.as_of) === first.decided_at && later.includes(symbols[b.symbolIndex]!),
      );
      expect(reserved.every((b) => b.inputs.account.free_balance < 10_000)).toBe(true);
      expect(untouched.length).toBe(
        r.recorded.filter((b) => Date.parse(b.inputs.run.as_of) <= firstFill).length - reserved.length,
      );
      const decided = untouched.map((b) => {
        const [outcome, reason, intents, , signals, ideas] = JSON.parse(b.fingerprint) as [
          SymbolOutcome['outcome'],
          string,
          SymbolOutcome['intents'],
          unknown[],
          unknown[],
          unknown[],
        ];
        return {
          b,
          symbol: symbols[b.symbolIndex]!,
          expected: { outcome, reason, intents, signals: signals.length, ideas: ideas.length },
        };
      });
      // The comparison must cover an actual trade decision, not only quiet bars.
      expect(decided.some((d) => d.expected.outcome === 'trade_intent')).toBe(true);
      expect(decided.some((d) => d.expected.outcome === 'no_trade')).toBe(true);

      // The live loader returns the same candles as the backtest's view at a bar (checked once per symbol).
      for (const [i, symbol] of symbols.entries()) {
        const b = decided.find((d) => d.b.symbolIndex === i)!.b;
        const full = r.prepared.markets[i]!.full;
        const live = await loadCandleSeries(db, {
          exchange: 'binance',
          symbol,
          timeframe: '1h',
          asOf: new Date(b.inputs.run.as_of),
          limit: b.barIndex + 1,
        });
        expect(live.ts).toEqual(full.ts.slice(0, b.barIndex + 1));
        expect(live.close).toEqual(full.close.slice(0, b.barIndex + 1));
      }

      for (const { b, symbol, expected } of decided) {
        const summary = await runPipeline(
          db,
          runOptions({
            symbols: [symbol],
            strategyId,
            asOf: new Date(b.inputs.run.as_of),
            historyBars: b.barIndex + 1,
            minBars: MIN_BARS,
            env: process.env,
          }),
        );
        expect(summary.trading.equity).toBe(10_000);
        const s = summary.symbols[0]!;
        expect({
          at: b.inputs.run.as_of,
          symbol,
          outcome: s.outcome,
          reason: s.reason,
          intents: s.intents,
          signals: s.signals,
          ideas: s.ideas,
        }).toEqual({ at: b.inputs.run.as_of, symbol, ...expected });
      }
    },
    300_000,
  );
});
