import os from 'node:os';
import { z } from 'zod';
import { logger } from '../../core/logger.ts';
import type { Db, Queryable } from '../../store/db.ts';
import { queryRows } from '../../store/db.ts';
import { isAlive } from '../../store/lock-file.ts';
import { staleAfterSeconds } from '../../engine/run/run-lock.ts';
import type { Skipped } from './due-ticks.ts';
import { auditTick } from './tick-audit.ts';
import { type ScheduleRow, triggerRef } from './schedule-row.ts';

/**
 * Tick rows are the scheduler's locks. A tick is claimed by inserting its row as
 * 'running' before the run starts: the primary key (schedule_id, tick) lets only one
 * process claim a tick, the partial unique index one running tick per schedule.
 */

export type Claim = 'claimed' | 'taken' | 'busy';

/** The newest tick this schedule has a row for, else its creation time: ticks after it are due. */
export async function scheduleAnchor(q: Queryable, s: ScheduleRow): Promise<Date> {
  const [row] = await queryRows(
    q,
    z.object({ tick: z.date().nullable() }),
    'select max(tick) as tick from schedule_ticks where schedule_id = $1',
    [s.schedule_id],
  );
  const last = row?.tick ?? null;
  return last && last.getTime() > s.created_at.getTime() ? last : s.created_at;
}

const RunningTick = z.object({
  tick: z.date(),
  pid: z.number().nullable(),
  host: z.string().nullable(),
  claimed_at: z.date(),
});

/** Whether the tick's run is running and has shown a heartbeat, or its study has finished a trial, within `stale` seconds. */
async function runIsAlive(q: Queryable, s: ScheduleRow, tick: Date, stale: number): Promise<boolean> {
  const rows = await q.query(
    `select 1 from pipeline_runs where trigger = 'schedule' and trigger_ref = $1 and status = 'running' and heartbeat_at > now() - $2 * interval '1 second'
     union all
     select 1 from schedule_ticks t join optimiser_trials o using (study_id)
     where t.schedule_id = $3 and t.tick = $4 and o.created_at > now() - $2 * interval '1 second'`,
    [triggerRef(s.schedule_id, tick), stale, s.schedule_id, tick],
  );
  return rows.length > 0;
}

/** Records the study a tick started, so its liveness can be told and a killed one resumed. */
export async function setTickStudy(q: Queryable, s: ScheduleRow, tick: Date, studyId: string): Promise<void> {
  await q.query('update schedule_ticks set study_id = $3 where schedule_id = $1 and tick = $2', [
    s.schedule_id,
    tick,
    studyId,
  ]);
}

/**
 * Marks 'crashed' the running ticks whose process is gone (same host, dead pid), or that
 * have shown no sign of life for the run-lock's stale time (no running run of theirs with
 * a recent heartbeat). Each is audited; a crashed tick is never run again.
 */
export async function reapStaleTicks(db: Db, s: ScheduleRow): Promise<number> {
  const stale = staleAfterSeconds();
  const running = await queryRows(
    db,
    RunningTick,
    "select tick, pid, host, claimed_at from schedule_ticks where schedule_id = $1 and status = 'running'",
    [s.schedule_id],
  );
  let reaped = 0;
  const host = os.hostname();
  for (const r of running) {
    const dead = r.host === host && r.pid !== null && !isAlive(r.pid);
    const silent = Date.now() - r.claimed_at.getTime() > stale * 1000 && !(await runIsAlive(db, s, r.tick, stale));
    if (!dead && !silent) continue;
    const why = dead ? `its process ${r.pid} on ${host} is gone` : `no sign of life for over ${stale} s`;
    const done = await db.transaction(async (tx) => {
      const rows = await tx.query(
        "update schedule_ticks set status = 'crashed', error = $3, finished_at = now() where schedule_id = $1 and tick = $2 and status = 'running' returning tick",
        [s.schedule_id, r.tick, `reaped: ${why}`],
      );
      if (rows.length === 0) return false;
      await auditTick(tx, s, r.tick, { status: 'crashed', run_id: null, error: `reaped: ${why}`, risk_profile: null });
      return true;
    });
    if (done) {
      reaped++;
      logger.warn(
        { schedule_id: s.schedule_id, tick: r.tick.toISOString() },
        `reaped a stale running tick as crashed: ${why}`,
      );
    }
  }
  return reaped;
}

/** Inserts the tick's row as 'running'. 'taken': another process claimed this tick; 'busy': another tick of this schedule is running. */
export async function claimTick(db: Db, s: ScheduleRow, tick: Date): Promise<Claim> {
  await reapStaleTicks(db, s);
  try {
    await db.query(
      "insert into schedule_ticks (schedule_id, tick, status, pid, host) values ($1, $2, 'running', $3, $4)",
      [s.schedule_id, tick, process.pid, os.hostname()],
    );
    return 'claimed';
  } catch (e) {
    if ((e as { code?: string }).code !== '23505') throw e;
    const err = e as { message?: string; constraint_name?: string; constraint?: string };
    const constraint = `${err.constraint_name ?? ''} ${err.constraint ?? ''} ${err.message ?? ''}`;
    return constraint.includes('schedule_ticks_one_running') ? 'busy' : 'taken';
  }
}

export interface TickEnd {
  /** 'skipped': the job chose not to act (a correlation tick while the analysis is off); `error` says why. */
  status: 'succeeded' | 'partial' | 'failed' | 'halted' | 'error' | 'skipped';
  run_id: string | null;
  /** A study tick's study (kept from its start when it failed). */
  study_id?: string | null;
  error: string | null;
  risk_profile: 'low' | 'medium' | 'high' | null;
}

/** Closes a claimed tick with its run's outcome and audits it, in one transaction. */
export async function finishTick(db: Db, s: ScheduleRow, tick: Date, end: TickEnd): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      'update schedule_ticks set status = $3, run_id = $4, error = $5, study_id = coalesce($6, study_id), finished_at = now() where schedule_id = $1 and tick = $2',
      [s.schedule_id, tick, end.status, end.run_id, end.error, end.study_id ?? null],
    );
    // A tick its job chose not to act on is no missed tick: it says which job and why (`error`).
    await auditTick(tx, s, tick, end, end.status === 'skipped' ? { job: s.job, missed: 0 } : {});
  });
}

/** Records skipped ticks as one row at the newest of them, and audits it; false if another process already did. */
export async function recordSkipped(db: Db, s: ScheduleRow, skipped: Skipped, reason: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const rows = await tx.query(
      "insert into schedule_ticks (schedule_id, tick, status, missed, first_missed, error, pid, host, finished_at) values ($1, $2, 'skipped', $3, $4, $5, $6, $7, now()) on conflict do nothing returning tick",
      [s.schedule_id, skipped.last, skipped.count, skipped.first, reason, process.pid, os.hostname()],
    );
    if (rows.length === 0) return false;
    await auditTick(
      tx,
      s,
      skipped.last,
      { status: 'skipped', run_id: null, error: reason, risk_profile: null },
      {
        missed: skipped.count,
        missed_more: skipped.capped,
        first_missed: skipped.first.toISOString(),
        last_missed: skipped.last.toISOString(),
      },
    );
    return true;
  });
}

/** The run a tick started, found by its trigger reference (a run that failed after opening still has a row). */
export async function runOfTick(q: Queryable, s: ScheduleRow, tick: Date): Promise<string | null> {
  const [row] = await q.query<{ run_id: string }>(
    "select run_id from pipeline_runs where trigger = 'schedule' and trigger_ref = $1 order by started_at desc limit 1",
    [triggerRef(s.schedule_id, tick)],
  );
  return row?.run_id ?? null;
}
