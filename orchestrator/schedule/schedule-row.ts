import { z } from 'zod';
import { ScheduledBackup, ScheduledCorrelation, ScheduledExport } from './operation-jobs.ts';
import { ScheduledStudy } from './scheduled-study.ts';

const ScheduleFields = z.object({
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
});

/**
 * One row of `schedules`: when (cron in a time zone), in which system mode, and its job:
 * a pipeline run on its markets, a study (job_args: what to study), or an operation on the
 * whole database, a backup or an export (job_args: where to, and how many copies to keep),
 * or the lead-coin correlation analysis (job_args: {}, its settings are correlation_settings).
 */
export const ScheduleRow = z.discriminatedUnion('job', [
  ScheduleFields.extend({ job: z.literal('run'), job_args: z.null() }),
  ScheduleFields.extend({ job: z.literal('optimise'), job_args: ScheduledStudy }),
  ScheduleFields.extend({ job: z.literal('backup'), job_args: ScheduledBackup }),
  ScheduleFields.extend({ job: z.literal('export'), job_args: ScheduledExport }),
  ScheduleFields.extend({ job: z.literal('correlation'), job_args: ScheduledCorrelation }),
]);
export type ScheduleRow = z.infer<typeof ScheduleRow>;
export type ScheduleJob = ScheduleRow['job'];

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
