import { randomUUID } from 'node:crypto';
import { releaseSandbox, warmSandbox } from '../sandbox/probe.ts';
import { logger } from '../core/logger.ts';
import { loadMacroTimeline } from '../market/macro/macro-timeline.ts';
import type { Db } from '../store/db.ts';
import type { BacktestTrade, EquityCurve } from './backtest-types.ts';
import { prepareBacktest, type BacktestOptions, type PreparedBacktest } from './backtest-setup.ts';
import { replayMetrics, replaySettings } from './replay-settings.ts';
import { rateModules } from './ratings.ts';
import { replay, type RecordedBar } from './replay.ts';
import { checkLookahead, sampleBars } from './lookahead-check.ts';
import type { BacktestReport } from './report-schema.ts';
import { saveBacktest } from './backtest-repo.ts';
import type { BatchSlot } from './backtest-batch.ts';

export interface BacktestResult {
  report: BacktestReport;
  trades: BacktestTrade[];
  curves: Map<string, EquityCurve>;
  /** Kept only when a lookahead check asked for them. */
  recorded: RecordedBar[];
  prepared: PreparedBacktest;
  /** False only for a batch's slot that another attempt stored first: this replay's rows were not written. */
  stored: boolean;
}

const counted = (m: Map<string, number>) =>
  [...m].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);

/** What a caller may add to a backtest besides its options. */
export interface BacktestHooks {
  onProgress?: (done: number, total: number) => void;
  /** Re-decide this many sampled bars per symbol on cut candles (`--check-lookahead`). */
  lookaheadSamples?: number;
  /** Keep the decision inputs of these bars (tests; the lookahead check samples its own). */
  record?: (symbol: string, barIndex: number) => boolean;
  /** Prepare modules' columns at every bar, not once per replay: the parity reference (tests; slow). */
  preparePerBar?: boolean;
  /** Store it in this slot of a batch (`--each`): a slot another attempt stored first is left as it is. */
  batch?: BatchSlot;
}

/**
 * `trader backtest`: prepares the plans and data, replays history through the same
 * pipeline on a simulated clock, measures the result and stores it (report, trades,
 * curves, performance ratings) in one transaction.
 */
export async function runBacktest(
  db: Db,
  options: BacktestOptions,
  hooks: BacktestHooks = {},
): Promise<BacktestResult> {
  const started = performance.now();
  const prepared = await prepareBacktest(db, options);
  const record = hooks.lookaheadSamples ? sampleBars(prepared.markets, hooks.lookaheadSamples) : hooks.record;
  const { request, markets } = prepared;
  const macro = await loadMacroTimeline(db, { from: options.from, to: options.to });
  const backtest_id = randomUUID();
  const replayStarted = performance.now();
  // One sandbox (module worker) for the replay and the lookahead check, which re-decides bars on the candles it holds.
  const sandbox = warmSandbox();
  let released: Promise<void> | undefined;
  const closeSandbox = () => (released ??= releaseSandbox(sandbox));
  logger.info({ backtest_id, symbols: markets.length }, 'backtest replay started');
  const result = await replay({
    ...replaySettings(prepared, backtest_id),
    symbols: markets,
    macro,
    onProgress: hooks.onProgress,
    record,
    sandbox,
    preparePerBar: hooks.preparePerBar,
  }).catch(async (e: unknown) => {
    await closeSandbox();
    throw e;
  });
  const replay_ms = Math.round(performance.now() - replayStarted);
  const { tally, trades, curve } = result;
  const metricsOf = replayMetrics(prepared);
  const module_errors = [...tally.moduleErrors.values()];
  const lookahead = hooks.lookaheadSamples
    ? await checkLookahead(sandbox, markets, result.recorded, module_errors).finally(closeSandbox)
    : null;
  await closeSandbox();
  const duration_ms = Math.round(performance.now() - started);
  const report: BacktestReport = {
    schema_version: 1,
    backtest_id,
    created_at: new Date().toISOString(),
    request,
    modules: Object.fromEntries(
      markets.map((m) => [
        m.instrument.symbol,
        m.plan.slots.map((s) => `${s.module_id}@${s.version}${s.shadow ? ' (shadow)' : ''}`),
      ]),
    ),
    initial_equity: request.initial_equity,
    final_equity: curve.equity.at(-1) ?? request.initial_equity,
    total: metricsOf(curve, trades, tally.exposedBars),
    symbols: result.markets.map((m, i) => {
      const sym = markets[i]!.instrument.symbol;
      const t = tally.symbols.get(sym);
      return {
        symbol: sym,
        bars: m.curve.ts.length,
        decisions: t?.decisions ?? {},
        refused_by_gate: t?.refused ?? 0,
        entries_skipped: t?.skipped ?? 0,
        metrics: metricsOf(
          m.curve,
          trades.filter((x) => x.symbol === sym),
          m.exposed,
        ),
      };
    }),
    bars_evaluated: tally.barsEvaluated,
    same_bar_exits: { ...tally.sameBarResolved, finer_timeframes: prepared.finerTimeframes },
    halt: tally.halt && { ...tally.halt, at: new Date(tally.halt.at).toISOString() },
    module_errors,
    lookahead,
    gate_refusals: counted(tally.refusalReasons),
    skipped_entries: counted(tally.skipReasons),
    ratings: rateModules(trades).map(
      ({ module_id, version, stage, trades: n, win_rate_pct, profit_factor, expectancy_r, avg_rr, net_pnl }) => ({
        module_id,
        version,
        stage,
        trades: n,
        win_rate_pct,
        profit_factor,
        expectancy_r,
        avg_rr,
        net_pnl,
      }),
    ),
    duration_ms,
    replay_ms,
    bars_per_second: replay_ms > 0 ? Math.round((tally.barsEvaluated / replay_ms) * 1000) : 0,
  };
  const curves = new Map<string, EquityCurve>([
    ['*', curve],
    ...result.markets.map((m, i): [string, EquityCurve] => [markets[i]!.instrument.symbol, m.curve]),
  ]);
  const stored = await saveBacktest(db, report, trades, curves, hooks.batch);
  logger.info(
    { backtest_id, trades: trades.length, bars: tally.barsEvaluated, duration_ms, ...hooks.batch, stored },
    'backtest finished',
  );
  return { report, trades, curves, recorded: result.recorded, prepared, stored };
}
