import { countTicksBetween, latestTickAtOrBefore, nextTick, tickBefore } from './cron.ts';
import type { ScheduleRow } from './schedule-row.ts';

/**
 * The missed-run policy, as a pure function of the schedule, its anchor and the clock.
 *
 * The anchor is the newest tick the schedule already has a row for (run, skipped or
 * crashed), or its creation time. Of the ticks after the anchor and at or before `now`:
 * - the newest one runs if it is at most `grace_seconds` old;
 * - every other one is skipped (recorded as one 'skipped' row standing for all of them,
 *   and audited), so a scheduler that was down catches up with one run, never a burst.
 */

export interface Skipped {
  /** How many ticks are skipped (at most the counting cap; then `capped`). */
  count: number;
  capped: boolean;
  first: Date;
  last: Date;
}

export interface DuePlan {
  run: Date | null;
  skipped: Skipped | null;
}

type Timing = Pick<ScheduleRow, 'cron' | 'timezone' | 'grace_seconds'>;

export function planDue(s: Timing, anchor: Date, now: Date): DuePlan {
  const latest = latestTickAtOrBefore(s.cron, s.timezone, now);
  if (latest === null || latest.getTime() <= anchor.getTime()) return { run: null, skipped: null };
  const inGrace = now.getTime() - latest.getTime() <= s.grace_seconds * 1000;
  const newestSkipped = inGrace ? tickBefore(s.cron, s.timezone, latest) : latest;
  if (newestSkipped === null || newestSkipped.getTime() <= anchor.getTime()) return { run: latest, skipped: null };
  const first = nextTick(s.cron, s.timezone, anchor);
  const older = countTicksBetween(s.cron, s.timezone, anchor, newestSkipped);
  return {
    run: inGrace ? latest : null,
    skipped: { count: older.count + 1, capped: older.capped, first, last: newestSkipped },
  };
}
