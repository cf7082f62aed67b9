import { z } from 'zod';
import { ScheduledStudy } from './scheduled-study.ts';

/** One row of `schedules`: what to run (a pipeline, or a study: its job), when (cron in a time zone), in which system mode. */
export const ScheduleRow = z.object({
  schedule_id: z.coerce.number().int().positive(),
  name: z.string().nullable(),
  cron: z.string(),
  timezone: z.string(),
  system_mode: z.enum(['TEST', 'LIVE']),
  pipeline_id: z.string(),
  strategy_id: z.string().nullable(),
  symbols: z.array(z.string()),
  exchange: z.string(),
  timeframe: z.string(),
  history_bars: z.coerce.number().int().positive(),
  offline: z.boolean(),
  grace_seconds: z.coerce.number().int().nonnegative(),
  created_at: z.date(),
  job: z.enum(['run', 'optimise']),
  /** job 'optimise': the study each tick runs; null for 'run'. */
  job_args: ScheduledStudy.nullable(),
});
export type ScheduleRow = z.infer<typeof ScheduleRow>;

export const scheduleColumns =
  'schedule_id, name, cron, timezone, system_mode, pipeline_id, strategy_id, symbols, exchange, timeframe, history_bars, offline, grace_seconds, created_at, job, job_args';

/** What happened to one tick: a run's status, an error before or around the run, a skip, or a crash found later. */
export const TickStatus = z.enum([
  'running',
  'succeeded',
  'partial',
  'failed',
  'halted',
  'error',
  'skipped',
  'crashed',
]);
export type TickStatus = z.infer<typeof TickStatus>;

/** The run's trigger reference: `<schedule id>@<tick ISO>`, so a run traces back to its schedule and tick. */
export function triggerRef(scheduleId: number, tick: Date): string {
  return `${scheduleId}@${tick.toISOString()}`;
}

/** How a schedule is named in messages: `schedule 3 (hourly-btc)`. */
export function scheduleLabel(s: Pick<ScheduleRow, 'schedule_id' | 'name'>): string {
  return s.name ? `schedule ${s.schedule_id} (${s.name})` : `schedule ${s.schedule_id}`;
}
