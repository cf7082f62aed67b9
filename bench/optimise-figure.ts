import fs from 'node:fs';
import path from 'node:path';
import { defaultWorkers } from '../backtest/run-many.ts';
import { optimise } from '../optimise/optimise.ts';
import type { StudyOptions } from '../optimise/plan-study.ts';
import type { StudyReport } from '../optimise/study-outcome.ts';
import { type BenchDb, openSharedHistoryDb, sharedDataDir } from './fixtures.ts';
import { fmt, type Row } from './stats.ts';

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

/**
 * Figure 10 of `npm run bench`: a short study (OPTIMISE_SHORT_TRIALS, default 40 trials of
 * breakout in 5 windows) on the shared history, one worker per core. The whole 500-trial
 * study is `npm run bench:optimise`. Null when ../shared/data is absent.
 */
export async function measureShortStudy(open: Set<BenchDb>): Promise<{ row: Row; note: string } | null> {
  if (!fs.existsSync(path.join(sharedDataDir, 'market'))) return null;
  const symbols = ['BTC/USDT', 'ETH/USDT'];
  const trials = Number(process.env.OPTIMISE_SHORT_TRIALS ?? 40);
  const workers = defaultWorkers();
  const b = await openSharedHistoryDb(symbols, 'bench');
  open.add(b);
  const started = performance.now();
  const report = await optimise(b.db, {
    options: studyOptions({ strategies: ['breakout'], symbols, trials, workers }),
  });
  const seconds = (performance.now() - started) / 1000;
  const [row] = studyRows(report, seconds);
  return {
    row: {
      figure: '10. optimiser study, breakout, BTC+ETH 1h 2019-2025',
      backend: b.kind === 'pglite' ? 'embedded' : 'postgres',
      median: `${fmt(seconds, 0)} s`,
      range: `${fmt((trials / seconds) * 60, 1)} trials/min`,
      reps: `1 study, ${trials} TPE trials, 5 windows, ${workers} worker(s)`,
      notes: `target: 500 trials in minutes (npm run bench:optimise runs them); out of sample ${row![4]} vs buy-and-hold ${row![7]}, ${row![10]}`,
    },
    note: "figure 10: a short optimiser study on ../shared/data (breakout, seed 1); `npm run bench:optimise` runs the issue's 500 trials",
  };
}
