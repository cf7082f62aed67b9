import { countBefore } from '../core/sorted.ts';
import type { BacktestTrade, EquityCurve, Metrics } from '../backtest/backtest-types.ts';
import type { PreparedBacktest } from '../backtest/backtest-setup.ts';
import { replay, type ReplaySymbol } from '../backtest/replay.ts';
import { replayMetrics, replaySettings } from '../backtest/replay-settings.ts';
import type { Plan } from '../engine/plan/plan-types.ts';
import type { MacroTimelineSource } from '../market/macro/macro-timeline.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { MemoRequest } from '../backtest/prefix-memo.ts';
import type { Span } from './walk-forward.ts';

/** A study's data, read once: every market's candles over the whole span (warm-up first), plans and macro. */
export interface StudyData {
  prepared: PreparedBacktest;
  macro: MacroTimelineSource | null;
  /** The run id every trial replays under (the study's id: a resumed trial replays as the first did). */
  runId: string;
}

export interface TrialOutcome {
  metrics: Metrics;
  /** The account's equity at each bar close of the span (the deflated Sharpe's returns). */
  curve: EquityCurve;
  trades: BacktestTrade[];
  /** Bars with a position open. */
  exposed: number;
  /** Set when the drawdown halt triggered: the trial broke the risk gate. */
  halted: string | null;
}

/**
 * One market cut to a span: the bars opening in [from, to) to decide on, and the
 * `historyBars - 1` before them that a backtest starting at `from` would hold as warm-up.
 * Indexes of corrupt-row blocks move with the cut.
 */
export function marketInSpan(m: ReplaySymbol, span: Span, historyBars: number): ReplaySymbol {
  const first = countBefore(m.full.ts, span.from.getTime());
  const end = countBefore(m.full.ts, span.to.getTime());
  const start = Math.max(0, first - (historyBars - 1));
  const cut = <T>(a: readonly T[]) => a.slice(start, end);
  const { blockedAt } = m;
  return {
    ...m,
    full: {
      ...m.full,
      ts: cut(m.full.ts),
      open: cut(m.full.open),
      high: cut(m.full.high),
      low: cut(m.full.low),
      close: cut(m.full.close),
      volume: cut(m.full.volume),
    },
    firstDecision: first - start,
    ...(blockedAt ? { blockedAt: (k: number) => blockedAt(k + start) } : {}),
  };
}

/**
 * Replays one trial's plans over a span on `sandbox` (a module worker of its own) with the
 * backtest's settings; nothing is stored. The figures are those `trader backtest` would
 * report for the same plans and span. `memo`: the window's trials share the work of their
 * untuned leading modules (backtest/prefix-memo.ts).
 */
export async function replayTrial(
  sandbox: Sandbox,
  data: StudyData,
  plans: ReadonlyMap<string, Plan>,
  span: Span,
  memo?: MemoRequest,
): Promise<TrialOutcome> {
  const { prepared } = data;
  const symbols = prepared.markets.map((m) => ({
    ...marketInSpan(m, span, prepared.request.history_bars),
    plan: plans.get(m.instrument.symbol)!,
  }));
  const outcome = await replay({
    ...replaySettings(prepared, data.runId),
    symbols,
    macro: data.macro,
    sandbox,
    ...(memo ? { memo } : {}),
  });
  return {
    metrics: replayMetrics(prepared)(outcome.curve, outcome.trades, outcome.tally.exposedBars),
    curve: outcome.curve,
    trades: outcome.trades,
    exposed: outcome.tally.exposedBars,
    halted: outcome.tally.halt
      ? `the drawdown halt triggered at ${outcome.tally.halt.drawdown_pct.toFixed(1)} %`
      : null,
  };
}
