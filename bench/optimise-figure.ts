import type { StudyOptions } from '../optimise/plan-study.ts';
import type { StudyReport } from '../optimise/study-outcome.ts';
import { fmt } from './stats.ts';

/** The bench's study: the span and defaults, a fixed seed. */
export function studyOptions(o: Pick<StudyOptions, 'strategies' | 'symbols' | 'trials' | 'workers'>): StudyOptions {
  return {
    ...o,
    from: new Date('2019-01-01T00:00:00Z'),
    to: new Date('2025-01-01T00:00:00Z'),
    timeframe: '1h',
    exchange: 'binance',
    pipelineId: 'default',
    profile: 'medium',
    method: 'tpe',
    gridLevels: 5,
    windows: 5,
    mode: 'rolling',
    objective: 'sortino',
    minTrades: 20,
    seed: 1,
    initialEquity: 10_000,
    feeBps: 10,
    slippageBps: 5,
    historyBars: 500,
    env: process.env,
  };
}

/** One row per strategy of a finished study: time, and the out-of-sample record next to buy-and-hold. */
export function studyRows(report: StudyReport, seconds: number): string[][] {
  return report.strategies.map((s) => {
    const trials = s.windows.reduce((n, w) => n + w.trials, 0);
    const proposal = report.proposals.find((p) => p.strategy_id === s.strategy_id);
    return [
      s.strategy_id,
      String(trials),
      `${fmt(seconds / 60, 1)} min`,
      `${fmt((seconds / trials) * report.request.workers, 1)} s`,
      `${fmt(s.out_of_sample.total_return_pct, 1)} %`,
      `${fmt(s.out_of_sample.max_drawdown_pct, 1)} %`,
      String(s.out_of_sample.trades),
      `${fmt(s.buy_and_hold_pct, 1)} %`,
      s.walk_forward_efficiency === null ? 'n/a' : fmt(s.walk_forward_efficiency, 2),
      s.overfitting?.verdict ?? 'n/a',
      proposal?.version ? `version ${proposal.version} ${proposal.status}` : 'nothing proposed',
    ];
  });
}
