import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { queryRows, type Db, type Queryable } from '../../store/db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { RiskProfileName } from '../../trading/state-repo.ts';
import type { SystemMode } from '../../trading/scope.ts';
import { type ScheduleRow, scheduleLabel } from './schedule-row.ts';
import { findSchedule } from './schedules-repo.ts';

/**
 * "Run now" for a schedule (`trader schedule trigger`, the dashboard's optimisation
 * control): the request is a row the scheduler takes at its next wake and runs as a tick at
 * that time (run-due.ts), so the work happens in the scheduler process, where every tick
 * runs, with its claims, crash recovery and audit. A second request while one waits is the
 * same request. Audited SCHEDULE_RUN_REQUESTED (actor USER).
 */

export const ScheduleRequest = z.object({
  request_id: z.coerce.number().int().positive(),
  schedule_id: z.coerce.number().int().positive(),
  requested_at: z.date(),
  requested_by: z.string(),
  profile: RiskProfileName.nullable(),
  taken_at: z.date().nullable(),
  tick: z.date().nullable(),
});
export type ScheduleRequest = z.infer<typeof ScheduleRequest>;

export interface RequestOutcome {
  request: ScheduleRequest;
  schedule: ScheduleRow;
  /** True when this request was already waiting: nothing new was recorded. */
  already_waiting: boolean;
}

const columns = 'request_id, schedule_id, requested_at, requested_by, profile, taken_at, tick';

export async function requestScheduleRun(
  db: Db,
  ref: string,
  o: { by: string; mode: SystemMode; profile?: RiskProfileName },
): Promise<RequestOutcome> {
  return db.transaction(async (tx) => {
    const schedule = await findSchedule(tx, ref);
    if (schedule.system_mode !== o.mode)
      throw new TraderError(
        'BAD_INPUT',
        `${scheduleLabel(schedule)} runs in ${schedule.system_mode}; trigger it with TRADER_SYSTEM_MODE=${schedule.system_mode}.`,
      );
    if (o.profile && schedule.job !== 'optimise')
      throw new TraderError(
        'BAD_INPUT',
        `${scheduleLabel(schedule)} runs the pipeline, which trades with the active profile; a profile is chosen only for a study.`,
      );
    const [waiting] = await queryRows(
      tx,
      ScheduleRequest,
      `select ${columns} from schedule_requests where schedule_id = $1 and taken_at is null for update`,
      [schedule.schedule_id],
    );
    if (waiting) return { request: waiting, schedule, already_waiting: true };
    const [request] = await queryRows(
      tx,
      ScheduleRequest,
      `insert into schedule_requests (schedule_id, requested_by, profile) values ($1, $2, $3) returning ${columns}`,
      [schedule.schedule_id, o.by, o.profile ?? null],
    );
    await recordAudit(tx, {
      mode: schedule.system_mode,
      actor: 'USER',
      action_type: 'SCHEDULE_RUN_REQUESTED',
      status: 'PENDING',
      entity_type: 'schedule',
      entity_id: String(schedule.schedule_id),
      details: { request_id: request!.request_id, name: schedule.name, job: schedule.job, profile: o.profile ?? null },
    });
    return { request: request!, schedule, already_waiting: false };
  });
}

/**
 * Takes the schedule's waiting request, if any, as the tick `tick`: only one scheduler gets
 * it (the update is conditional). Returns it with the schedule as the tick must run it.
 */
export async function takeRequest(
  q: Queryable,
  s: ScheduleRow,
  tick: Date,
): Promise<{ request: ScheduleRequest; schedule: ScheduleRow } | null> {
  const [request] = await queryRows(
    q,
    ScheduleRequest,
    `update schedule_requests set taken_at = now(), tick = $2 where schedule_id = $1 and taken_at is null returning ${columns}`,
    [s.schedule_id, tick],
  );
  if (!request) return null;
  const schedule =
    request.profile && s.job === 'optimise'
      ? { ...s, job_args: { ...s.job_args, settings: { ...s.job_args.settings, profile: request.profile } } }
      : s;
  return { request, schedule };
}

/** Puts a taken request back to waiting (its tick could not start); dropped when a newer one waits already. */
export async function releaseRequest(q: Queryable, requestId: number): Promise<void> {
  const back = await q.query(
    `update schedule_requests r set taken_at = null, tick = null where request_id = $1
       and not exists (select 1 from schedule_requests w where w.schedule_id = r.schedule_id and w.taken_at is null)
     returning request_id`,
    [requestId],
  );
  if (back.length === 0) await q.query('delete from schedule_requests where request_id = $1', [requestId]);
}

export const RequestView = ScheduleRequest.extend({
  name: z.string().nullable(),
  job: z.enum(['run', 'optimise']),
  status: z.string().nullable(),
  run_id: z.string().nullable(),
  study_id: z.string().nullable(),
  trials: z.coerce.number().int(),
});
export type RequestView = z.infer<typeof RequestView>;

/** The newest requests of a mode with what became of them: waiting, or their tick's status, run or study and trials done. */
export function recentRequests(q: Queryable, mode: SystemMode, limit: number): Promise<RequestView[]> {
  return queryRows(
    q,
    RequestView,
    `select r.request_id, r.schedule_id, r.requested_at, r.requested_by, r.profile, r.taken_at, r.tick,
            s.name, s.job, t.status, t.run_id::text as run_id, t.study_id::text as study_id,
            (select count(*) from optimiser_trials o where o.study_id = t.study_id) as trials
     from schedule_requests r join schedules s using (schedule_id)
     left join schedule_ticks t on t.schedule_id = r.schedule_id and t.tick = r.tick
     where s.system_mode = $1 order by r.requested_at desc, r.request_id desc limit $2`,
    [mode, limit],
  );
}
