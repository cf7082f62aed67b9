import { TraderError } from '../../core/errors.ts';
import { type Queryable, queryRows } from '../../store/db.ts';
import { ScheduleRow, scheduleColumns } from './schedule-row.ts';
import { quote } from '../../core/quote.ts';

/** Reading and writing `schedules` rows. Validation and auditing live in schedule-admin.ts. */

export type NewScheduleRow = Omit<ScheduleRow, 'schedule_id'>;

export async function insertSchedule(q: Queryable, s: NewScheduleRow): Promise<ScheduleRow> {
  try {
    const [row] = await queryRows(
      q,
      ScheduleRow,
      `insert into schedules (name, cron, timezone, system_mode, pipeline_id, strategy_id, symbols, exchange, timeframe, history_bars, offline, grace_seconds, created_at, job, job_args)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) returning ${scheduleColumns}`,
      [
        s.name,
        s.cron,
        s.timezone,
        s.system_mode,
        s.pipeline_id,
        s.strategy_id,
        s.symbols,
        s.exchange,
        s.timeframe,
        s.history_bars,
        s.offline,
        s.grace_seconds,
        s.created_at,
        s.job,
        s.job_args,
      ],
    );
    return row!;
  } catch (e) {
    if ((e as { code?: string }).code === '23505')
      throw new TraderError(
        'BAD_INPUT',
        `A schedule named ${quote(s.name)} already exists; choose another --name or remove it first.`,
      );
    throw e;
  }
}

/** Every schedule, or those of one system mode, oldest first. */
export function listSchedules(q: Queryable, mode?: 'TEST' | 'LIVE'): Promise<ScheduleRow[]> {
  return mode
    ? queryRows(
        q,
        ScheduleRow,
        `select ${scheduleColumns} from schedules where system_mode = $1 order by schedule_id`,
        [mode],
      )
    : queryRows(q, ScheduleRow, `select ${scheduleColumns} from schedules order by schedule_id`);
}

/** A schedule by its id (digits) or its name; NOT_FOUND otherwise. */
export async function findSchedule(q: Queryable, ref: string): Promise<ScheduleRow> {
  const byId = /^\d{1,15}$/.test(ref);
  const [row] = await queryRows(
    q,
    ScheduleRow,
    `select ${scheduleColumns} from schedules where ${byId ? 'schedule_id = $1::bigint' : 'name = $1'}`,
    [ref],
  );
  if (!row)
    throw new TraderError(
      'NOT_FOUND',
      `No schedule ${byId ? 'with id' : 'named'} ${quote(ref)}; see \`trader schedule list\`.`,
    );
  return row;
}

export async function deleteSchedule(q: Queryable, scheduleId: number): Promise<void> {
  await q.query('delete from schedules where schedule_id = $1', [scheduleId]);
}
