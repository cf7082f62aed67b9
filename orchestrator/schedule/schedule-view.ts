import { z } from 'zod';
import { type Queryable, queryRows } from '../../store/db.ts';
import { nextTick } from './cron.ts';
import { type ScheduleRow, TickStatus } from './schedule-row.ts';
import { listSchedules } from './schedules-repo.ts';

/** What `trader schedule list` shows: each schedule with its next tick and its newest recorded tick. */

const LastTick = z.object({
  schedule_id: z.coerce.number(),
  tick: z.date(),
  status: TickStatus,
  run_id: z.string().nullable(),
  missed: z.coerce.number(),
  error: z.string().nullable(),
});

export type ScheduleListing = ScheduleRow & {
  next_tick: string;
  last_tick: { tick: string; status: TickStatus; run_id: string | null; missed: number; error: string | null } | null;
};

export async function listScheduleViews(q: Queryable, now: Date): Promise<ScheduleListing[]> {
  const schedules = await listSchedules(q);
  const last = await queryRows(
    q,
    LastTick,
    'select distinct on (schedule_id) schedule_id, tick, status, run_id, missed, error from schedule_ticks order by schedule_id, tick desc',
  );
  const byId = new Map(last.map((t) => [t.schedule_id, t]));
  return schedules.map((s) => {
    const t = byId.get(s.schedule_id);
    return {
      ...s,
      next_tick: nextTick(s.cron, s.timezone, now).toISOString(),
      last_tick: t
        ? { tick: t.tick.toISOString(), status: t.status, run_id: t.run_id, missed: t.missed, error: t.error }
        : null,
    };
  });
}

/** The wall-clock time of an instant in a zone, e.g. '2024-03-31 03:30 CEST'. */
export function localTime(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(at);
}
