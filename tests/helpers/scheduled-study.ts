import type { ScheduledStudy } from '../../orchestrator/schedule/scheduled-study.ts';

/** A small scheduled study: breakout over the 60 days before each tick, 4 TPE trials in one window. */
export const smallStudy = (o: Partial<ScheduledStudy> = {}): ScheduledStudy => ({
  strategies: ['breakout'],
  lookback_days: 60,
  settings: {
    trials: 4,
    method: 'tpe',
    gridLevels: 3,
    windows: 1,
    mode: 'rolling',
    objective: 'sortino',
    minTrades: 1,
    seed: 3,
    workers: 1,
    initialEquity: 10_000,
    feeBps: 10,
    slippageBps: 5,
  },
  ...o,
});
