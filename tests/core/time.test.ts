import { describe, expect, it } from 'vitest';
import { decisionTime, futureToleranceMs, parseUtcTime } from '../../core/time.ts';

/** Times users give (core/time.ts): only real calendar times, in UTC, and decision times not in the future. */
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('parseUtcTime', () => {
  it.each([
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2024-12-31T23:59:59Z', '2024-12-31T23:59:59.000Z'],
    ['2024-03-05T02:00:00.5+02:00', '2024-03-05T00:00:00.500Z'],
    ['1970-01-01', '1970-01-01T00:00:00.000Z'],
  ])('%s is %s', (value, iso) => {
    expect(parseUtcTime(value, '--as-of').toISOString()).toBe(iso);
  });

  it.each([
    ['2024-02-30', 'February 2024 has 29 days'],
    ['2023-02-29', 'February 2023 has 28 days'],
    ['2100-02-29', 'February 2100 has 28 days'],
    ['2024-04-31', 'April 2024 has 30 days'],
    ['2024-00-01', 'there is no month 0'],
    ['2024-13-01', 'there is no month 13'],
    ['2024-01-00', 'January 2024 has 31 days'],
    ['2024-03-05T24:00Z', 'hours run from 00 to 23'],
    ['2024-03-05T23:60Z', 'minutes and seconds run from 00 to 59'],
    ['2024-03-05T23:59:60Z', 'minutes and seconds run from 00 to 59'],
    ['2024-03-05T12:00+24:00', 'the zone offset is out of range'],
    ['1969-12-31', 'the year is before 1970'],
  ])('%s is refused: %s', (value, why) => {
    expect(refusal(() => parseUtcTime(value, '--as-of'))).toBe(`--as-of '${value}' is not a UTC time: ${why}.`);
  });

  it('a zoneless time or no time at all keeps the format hint; a long value is cut short', () => {
    expect(refusal(() => parseUtcTime('2024-03-05T02:00', '--from'))).toMatch(/a zone is required with a time/);
    expect(refusal(() => parseUtcTime('x'.repeat(500), '--from'))).toBe(
      `--from '${'x'.repeat(60)}…' (500 characters) is not a UTC time: use 2024-01-01 or 2024-01-01T12:00:00Z (a zone is required with a time).`,
    );
  });
});

describe('decisionTime', () => {
  const now = new Date('2024-03-05T03:00:00Z');
  it('absent is now; a past time is itself; up to the tolerance ahead is allowed (clocks differ a little)', () => {
    expect(decisionTime(undefined, '--as-of', now)).toBe(now);
    expect(decisionTime(null, 'as_of', now)).toBe(now);
    expect(decisionTime('2024-03-01', '--as-of', now).toISOString()).toBe('2024-03-01T00:00:00.000Z');
    const edge = new Date(now.getTime() + futureToleranceMs).toISOString();
    expect(decisionTime(edge, '--as-of', now).toISOString()).toBe(edge);
  });

  it('a time further ahead is refused naming the flag and now', () => {
    const ahead = new Date(now.getTime() + futureToleranceMs + 1000).toISOString();
    expect(refusal(() => decisionTime(ahead, '--as-of', now))).toBe(
      `--as-of ${ahead} is in the future (now is 2024-03-05T03:00:00.000Z); give a past time or leave it out.`,
    );
  });
});
