import { z } from 'zod';
import { parseTimeframe } from '../../market/timeframes.ts';
import { StudySettings, type StudyOptions } from '../../optimise/plan-study.ts';

/**
 * A scheduled study (`trader schedule add --job optimise`, schedules.job_args): at each tick
 * the strategies are studied on the schedule's markets over the `lookback_days` before the
 * tick, so parameters are re-fitted on recent data and offered (or activated) the way the
 * user configured; nothing else changes what trades.
 */
export const ScheduledStudy = z.object({
  strategies: z.array(z.string().min(1)).min(1).max(10),
  lookback_days: z.number().int().min(30).max(5000),
  settings: StudySettings,
});
export type ScheduledStudy = z.infer<typeof ScheduledStudy>;

const DAY_MS = 86_400_000;

/** The study one tick runs: it ends at the tick's last closed bar and reaches back `lookback_days`. */
export function scheduledStudyOptions(
  s: { symbols: string[]; exchange: string; timeframe: string; pipeline_id: string; history_bars: number },
  job: ScheduledStudy,
  tick: Date,
  env: NodeJS.ProcessEnv,
): StudyOptions {
  const tf = parseTimeframe(s.timeframe);
  const to = new Date(Math.floor(tick.getTime() / tf) * tf);
  return {
    ...job.settings,
    strategies: job.strategies,
    symbols: s.symbols,
    from: new Date(to.getTime() - job.lookback_days * DAY_MS),
    to,
    timeframe: s.timeframe,
    exchange: s.exchange,
    pipelineId: s.pipeline_id,
    historyBars: s.history_bars,
    env,
  };
}
