import { describe, expect, it } from 'vitest';
import { latestTickAtOrBefore, nextTicks, validateCron } from '../../orchestrator/schedule/cron.ts';
import { planDue } from '../../orchestrator/schedule/due-ticks.ts';
import { TraderError } from '../../core/errors.ts';

const iso = (ds: Date[]) => ds.map((d) => d.toISOString());
const at = (s: string) => new Date(s);

/** The TraderError `fn` throws, checked to carry `code`. */
function thrown(fn: () => unknown, code: string): TraderError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TraderError);
  expect((error as TraderError).code).toBe(code);
  return error as TraderError;
}

describe('cron ticks in a time zone', () => {
  it('a daily 02:30 in Europe/Berlin across spring forward: the missing 02:30 fires at 03:30 CEST, then 02:30 CEST', () => {
    expect(iso(nextTicks('30 2 * * *', 'Europe/Berlin', at('2024-03-29T12:00:00Z'), 3))).toEqual([
      '2024-03-30T01:30:00.000Z', // 02:30 CET
      '2024-03-31T01:30:00.000Z', // 02:30 does not exist that day: 03:30 CEST
      '2024-04-01T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('a daily 02:30 in Europe/Berlin across fall back fires once on the day 02:30 happens twice', () => {
    expect(iso(nextTicks('30 2 * * *', 'Europe/Berlin', at('2024-10-25T12:00:00Z'), 3))).toEqual([
      '2024-10-26T00:30:00.000Z', // 02:30 CEST
      '2024-10-27T00:30:00.000Z', // the first 02:30 (CEST) only
      '2024-10-28T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('a daily 09:00 in Europe/Berlin stays at 09:00 local: 23 hours apart across the change, the UTC time moves', () => {
    const [a, b, c] = nextTicks('0 9 * * *', 'Europe/Berlin', at('2024-03-30T00:00:00Z'), 3);
    expect(iso([a!, b!, c!])).toEqual([
      '2024-03-30T08:00:00.000Z',
      '2024-03-31T07:00:00.000Z',
      '2024-04-01T07:00:00.000Z',
    ]);
    expect((b!.getTime() - a!.getTime()) / 3_600_000).toBe(23);
  });

  it('hourly in Europe/Berlin fires every real hour through fall back (wall-clock 02:00 twice)', () => {
    expect(iso(nextTicks('0 * * * *', 'Europe/Berlin', at('2024-10-26T23:30:00Z'), 4))).toEqual([
      '2024-10-27T00:00:00.000Z',
      '2024-10-27T01:00:00.000Z',
      '2024-10-27T02:00:00.000Z',
      '2024-10-27T03:00:00.000Z',
    ]);
  });

  it('the latest tick at or before a time includes a tick exactly at that time', () => {
    expect(latestTickAtOrBefore('0 * * * *', 'UTC', at('2024-01-01T12:00:00Z'))?.toISOString()).toBe(
      '2024-01-01T12:00:00.000Z',
    );
    expect(latestTickAtOrBefore('0 * * * *', 'UTC', at('2024-01-01T11:59:59.999Z'))?.toISOString()).toBe(
      '2024-01-01T11:00:00.000Z',
    );
  });

  it('normalizes the zone name and the spacing of the expression', () => {
    expect(validateCron('  0  *  * * * ', 'europe/berlin')).toEqual({ cron: '0 * * * *', timezone: 'Europe/Berlin' });
    expect(validateCron('@Hourly', 'UTC')).toEqual({ cron: '@hourly', timezone: 'UTC' });
  });

  it.each([
    ['61 * * * *', /The cron expression '61 \* \* \* \*' is invalid \(.*0-59\); use five fields/],
    ['0 0 30 2 *', /The cron expression '0 0 30 2 \*' is invalid \(.*day of month.*\); use five fields/],
    ['bogus', /The cron expression 'bogus' is invalid: use five fields/],
    ['', /The cron expression '' is invalid: use five fields/],
    ['0 0 * * * *', /is invalid: use five fields/],
    ['@secondly', /is invalid: use five fields/],
  ])('refuses the cron expression %j with one sentence (BAD_INPUT)', (cron, message) => {
    const e = thrown(() => validateCron(cron, 'UTC'), 'BAD_INPUT');
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(/\.$/);
    expect(e.message).not.toMatch(/\.\s+[A-Z]|\n/);
  });

  it('refuses an unknown time zone with one sentence (BAD_INPUT)', () => {
    const e = thrown(() => validateCron('0 * * * *', 'Mars/Olympus'), 'BAD_INPUT');
    expect(e.message).toBe(
      "Unknown time zone 'Mars/Olympus': use an IANA name such as UTC, Europe/Berlin or America/New_York.",
    );
  });
});

describe('the missed-run policy (planDue)', () => {
  const hourly = { cron: '0 * * * *', timezone: 'UTC', grace_seconds: 600 };
  const created = at('2024-03-05T00:10:00Z');

  it('runs a tick found within the grace window; nothing is skipped', () => {
    expect(planDue(hourly, created, at('2024-03-05T01:03:00Z'))).toEqual({
      run: at('2024-03-05T01:00:00Z'),
      skipped: null,
    });
  });

  it('nothing is due before the first tick after the anchor, nor again once the newest tick has a row', () => {
    expect(planDue(hourly, created, at('2024-03-05T00:59:59Z'))).toEqual({ run: null, skipped: null });
    expect(planDue(hourly, at('2024-03-05T05:00:00Z'), at('2024-03-05T05:09:00Z'))).toEqual({
      run: null,
      skipped: null,
    });
  });

  it('after downtime only the newest missed tick runs (within the grace window); the older ones are skipped', () => {
    expect(planDue(hourly, created, at('2024-03-05T05:03:00Z'))).toEqual({
      run: at('2024-03-05T05:00:00Z'),
      skipped: { count: 4, capped: false, first: at('2024-03-05T01:00:00Z'), last: at('2024-03-05T04:00:00Z') },
    });
  });

  it('a newest tick older than the grace window is skipped too: nothing runs late', () => {
    expect(planDue(hourly, created, at('2024-03-05T05:30:00Z'))).toEqual({
      run: null,
      skipped: { count: 5, capped: false, first: at('2024-03-05T01:00:00Z'), last: at('2024-03-05T05:00:00Z') },
    });
    // The grace window is inclusive.
    expect(planDue(hourly, created, at('2024-03-05T05:10:00Z')).run).toEqual(at('2024-03-05T05:00:00Z'));
  });

  it('counting missed ticks is bounded after a very long downtime', () => {
    const plan = planDue(
      { cron: '* * * * *', timezone: 'UTC', grace_seconds: 60 },
      at('2023-01-01T00:00:00Z'),
      at('2024-01-01T00:00:30Z'),
    );
    expect(plan.run).toEqual(at('2024-01-01T00:00:00Z'));
    expect(plan.skipped).toMatchObject({
      capped: true,
      first: at('2023-01-01T00:01:00Z'),
      last: at('2023-12-31T23:59:00Z'),
    });
  });
});
