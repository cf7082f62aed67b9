import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { TraderError } from '../../core/errors.ts';
import { quote } from '../../core/quote.ts';

/**
 * Cron expressions in a time zone, through cron-parser: validation with one clear
 * sentence, and the ticks (UTC instants) a schedule fires at. A wall-clock time that
 * does not exist (spring forward: 02:30 in Europe/Berlin on the last Sunday of March)
 * fires an hour later (03:30); one that occurs twice (fall back) fires once, at its first
 * occurrence; an hourly expression fires every real hour, 25 on the long day.
 */

const aliases = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@hourly',
  '@minutely',
  '@weekdays',
  '@weekends',
]);

/** Stable 'H' (hashed) fields: the same expression always fires at the same minute. */
const hashSeed = 'trader';

/** The expression with its fields separated by single spaces, or BAD_INPUT naming the problem. */
export function normalizeCron(expression: string): string {
  const text = expression.trim().replace(/\s+/g, ' ');
  const fields = text.split(' ').filter((f) => f.length > 0);
  const shape = text.startsWith('@') ? aliases.has(text.toLowerCase()) : fields.length === 5;
  if (!shape) {
    throw new TraderError(
      'BAD_INPUT',
      `The cron expression ${quote(expression)} is invalid: use five fields (minute hour day-of-month month day-of-week), e.g. '0 * * * *' for every hour, or @hourly/@daily/@weekly/@monthly.`,
    );
  }
  return text.startsWith('@') ? text.toLowerCase() : text;
}

/** The canonical IANA name of a time zone (e.g. 'europe/berlin' -> 'Europe/Berlin'), or BAD_INPUT. */
export function normalizeTimeZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone.trim() }).resolvedOptions().timeZone;
  } catch {
    throw new TraderError(
      'BAD_INPUT',
      `Unknown time zone ${quote(zone)}: use an IANA name such as UTC, Europe/Berlin or America/New_York.`,
    );
  }
}

function parse(cron: string, timezone: string, from: Date): CronExpression {
  return CronExpressionParser.parse(cron, { currentDate: from, tz: timezone, hashSeed });
}

/**
 * Checks a schedule's expression and zone together, as `trader schedule add` does:
 * returns them normalized, or throws BAD_INPUT with one sentence naming the problem
 * (an out-of-range field, a day that never comes, an unknown zone).
 */
export function validateCron(expression: string, zone: string): { cron: string; timezone: string } {
  const cron = normalizeCron(expression);
  const timezone = normalizeTimeZone(zone);
  try {
    parse(cron, timezone, new Date()).next();
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).replace(/\.$/, '');
    throw new TraderError(
      'BAD_INPUT',
      `The cron expression ${quote(expression)} is invalid (${why}); use five fields: minute hour day-of-month month day-of-week, e.g. '0 * * * *'.`,
    );
  }
  return { cron, timezone };
}

/** The first `count` ticks strictly after `after`. */
export function nextTicks(cron: string, timezone: string, after: Date, count = 1): Date[] {
  const it = parse(cron, timezone, after);
  return Array.from({ length: count }, () => it.next().toDate());
}

/** The first tick strictly after `after`. */
export function nextTick(cron: string, timezone: string, after: Date): Date {
  return nextTicks(cron, timezone, after, 1)[0]!;
}

/** The newest tick at or before `at`, or null if there is none. */
export function latestTickAtOrBefore(cron: string, timezone: string, at: Date): Date | null {
  const it = parse(cron, timezone, new Date(at.getTime() + 1));
  return it.hasPrev() ? it.prev().toDate() : null;
}

/** The newest tick strictly before `before`, or null. */
export function tickBefore(cron: string, timezone: string, before: Date): Date | null {
  return latestTickAtOrBefore(cron, timezone, new Date(before.getTime() - 1));
}

/** How many ticks lie strictly between `from` and `to`, counting at most `cap` (then `capped` is true). */
export function countTicksBetween(
  cron: string,
  timezone: string,
  from: Date,
  to: Date,
  cap = 10_000,
): { count: number; capped: boolean } {
  const it = parse(cron, timezone, from);
  let count = 0;
  while (count < cap) {
    if (it.next().toDate().getTime() >= to.getTime()) return { count, capped: false };
    count++;
  }
  return { count, capped: true };
}
