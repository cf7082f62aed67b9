import { TraderError } from './errors.ts';
import { quote } from './quote.ts';

/**
 * Times on the command line and over HTTP are UTC: a date (2024-01-01, midnight UTC) or a
 * date-time with an explicit zone (2024-01-01T12:00:00Z or +02:00). A zoneless date-time
 * would be read in the machine's local zone, so it is refused rather than guessed. Every
 * field must exist on the calendar: JavaScript would roll 2024-02-30 over to 1 March and
 * 24:00 to the next day, so those are refused too.
 */
const isoUtc = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/;

/** Years a market time can have: nothing traded before 1970, and four digits are all ISO dates carry. */
export const firstYear = 1970;

const monthNames = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Why the fields of a well-formed time are off the calendar, or null when they are all on it. */
function offCalendar(m: RegExpExecArray): string | null {
  const [year, month, day, hour, minute, second, offH, offM] = m.slice(1).map((f) => (f === undefined ? 0 : Number(f)));
  if (year! < firstYear) return `the year is before ${firstYear}`;
  if (month! < 1 || month! > 12) return `there is no month ${month}`;
  const days = daysIn(year!, month!);
  if (day! < 1 || day! > days) return `${monthNames[month! - 1]} ${year} has ${days} days`;
  if (hour! > 23) return 'hours run from 00 to 23';
  if (minute! > 59 || second! > 59) return 'minutes and seconds run from 00 to 59';
  if (offH! > 23 || offM! > 59) return 'the zone offset is out of range';
  return null;
}

export function parseUtcTime(value: string, flag: string): Date {
  const m = isoUtc.exec(value);
  const why = m ? offCalendar(m) : null;
  if (m && why !== null) throw new TraderError('BAD_INPUT', `${flag} ${quote(value)} is not a UTC time: ${why}.`);
  const ms = m ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new TraderError(
      'BAD_INPUT',
      `${flag} ${quote(value)} is not a UTC time: use 2024-01-01 or 2024-01-01T12:00:00Z (a zone is required with a time).`,
    );
  }
  return new Date(ms);
}

/** How far ahead of this machine's clock a decision time may be (another machine's clock may run a little fast). */
export const futureToleranceMs = 5 * 60_000;

/**
 * A decision time (`--as-of`, `as_of`) cannot be in the future: a run decides on closed
 * candles, and one "as of" next year would decide on today's data under tomorrow's name.
 */
export function notInFuture(at: Date, flag: string, now: Date): Date {
  if (at.getTime() > now.getTime() + futureToleranceMs)
    throw new TraderError(
      'BAD_INPUT',
      `${flag} ${at.toISOString()} is in the future (now is ${now.toISOString()}); give a past time or leave it out.`,
    );
  return at;
}

/** A decision time from a flag or field: `now` when absent, else a real UTC time that is not in the future. */
export function decisionTime(value: string | null | undefined, flag: string, now: Date): Date {
  return value == null ? now : notInFuture(parseUtcTime(value, flag), flag, now);
}
