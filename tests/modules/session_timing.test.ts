import { describe, expect, it } from 'vitest';
import { manifest, run } from '../../modules/context/session_timing_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';
import { sampleCandles } from '../helpers/sample-candles.ts';

const params = manifest.params.parse({});
const sdk = { indicators };

function runAt(as_of: string, p = params) {
  const runInfo: ContextValue<'run'> = contextKeys.run.schema.parse({
    run_id: '00000000-0000-4000-8000-000000000001',
    pipeline_id: 'default',
    strategy_id: null,
    system_mode: 'TEST',
    operational_mode: 'observe',
    risk_profile: 'medium',
    exchange: 'binance',
    timeframe: '1h',
    as_of,
    trigger: 'test',
  });
  const out = run({ run: runInfo }, p, sdk);
  return { s: contextKeys.session.schema.parse(out.outputs.session), rationale: out.rationale };
}

describe('session_timing_v1 boundaries (2024-01-01 is a Monday)', () => {
  it.each([
    ['2024-01-01T00:00:00Z', 'asia', 0],
    ['2024-01-01T06:59:59.999Z', 'asia', 6],
    ['2024-01-01T07:00:00Z', 'london', 7],
    ['2024-01-01T11:59:59Z', 'london', 11],
    ['2024-01-01T12:00:00Z', 'london_new_york_overlap', 12],
    ['2024-01-01T15:59:59Z', 'london_new_york_overlap', 15],
    ['2024-01-01T16:00:00Z', 'new_york', 16],
    ['2024-01-01T20:59:59Z', 'new_york', 20],
    ['2024-01-01T21:00:00Z', 'off_hours', 21],
    ['2024-01-01T23:59:59Z', 'off_hours', 23],
  ] as const)('%s -> %s', (asOf, name, hour) => {
    const { s } = runAt(asOf);
    expect(s).toEqual({ name, weekend: false, hour_utc: hour, day_of_week: 1 });
  });

  it('weekend is Saturday and Sunday UTC only: Fri 23:59 no, Sat 00:00 yes, Sun 23:59 yes, Mon 00:00 no', () => {
    expect(runAt('2024-01-05T23:59:59Z').s).toMatchObject({ weekend: false, day_of_week: 5, name: 'off_hours' });
    expect(runAt('2024-01-06T00:00:00Z').s).toMatchObject({ weekend: true, day_of_week: 6, name: 'asia' });
    expect(runAt('2024-01-07T23:59:59Z').s).toMatchObject({ weekend: true, day_of_week: 0, name: 'off_hours' });
    expect(runAt('2024-01-08T00:00:00Z').s).toMatchObject({ weekend: false, day_of_week: 1, name: 'asia' });
  });

  it('reads as_of in UTC whatever its offset: Monday 01:30+02:00 is Sunday 23:30 UTC (weekend, off_hours)', () => {
    const { s, rationale } = runAt('2024-01-08T01:30:00+02:00');
    expect(s).toEqual({ name: 'off_hours', weekend: true, hour_utc: 23, day_of_week: 0 });
    expect(rationale).toContain('2024-01-07T23:30:00.000Z is Sunday 23:00 UTC: session off_hours');
    expect(rationale).toContain('weekend');
  });

  it('the rationale names the session window and weekday', () => {
    expect(runAt('2024-01-01T07:00:00Z').rationale).toBe(
      'as_of 2024-01-01T07:00:00.000Z is Monday 07:00 UTC: session london (its window is [07:00, 12:00) UTC); weekday.',
    );
  });
});

describe('session_timing_v1 on the real sample clock', () => {
  it('over one real week of 1h candle close times, each day has 7 asia, 5 london, 4 overlap, 5 new_york, 3 off_hours hours and 2 weekend days', () => {
    const candles = sampleCandles({ from: 0, to: 24 * 7 }); // 2024-01-01 Mon .. 2024-01-07 Sun
    const counts: Record<string, number> = {};
    let weekendHours = 0;
    for (const ts of candles.ts) {
      const { s } = runAt(new Date(ts + 3_600_000).toISOString()); // decision at the candle's close
      counts[s.name] = (counts[s.name] ?? 0) + 1;
      if (s.weekend) weekendHours++;
      expect(s.hour_utc).toBe(new Date(ts + 3_600_000).getUTCHours());
    }
    expect(counts).toEqual({ asia: 49, london: 35, london_new_york_overlap: 28, new_york: 35, off_hours: 21 });
    // closes from Sat 00:00 (candle Fri 23:00) to Sun 23:00; the close Mon 00:00 is a weekday
    expect(weekendHours).toBe(48);
  });

  it('is deterministic: same view, same output', () => {
    expect(runAt('2024-03-05T02:00:00Z')).toEqual(runAt('2024-03-05T02:00:00Z'));
  });
});

describe('session_timing_v1 params', () => {
  it('hours are params: asia from 01:00 leaves 00:xx as off_hours, a later london start keeps 07:00 in asia', () => {
    const p = manifest.params.parse({ asia_start_hour: 1, london_start_hour: 8 });
    expect(runAt('2024-01-01T00:30:00Z', p).s.name).toBe('off_hours');
    expect(runAt('2024-01-01T00:30:00Z', p).rationale).toContain('[21:00, 24:00) or [00:00, 01:00)');
    expect(runAt('2024-01-01T01:00:00Z', p).s.name).toBe('asia');
    expect(runAt('2024-01-01T07:00:00Z', p).s.name).toBe('asia');
    expect(runAt('2024-01-01T08:00:00Z', p).s.name).toBe('london');
  });

  it('off_hours_start_hour 24 makes new_york run to midnight; a zero-length overlap never matches', () => {
    const p = manifest.params.parse({ off_hours_start_hour: 24, overlap_start_hour: 16 });
    expect(runAt('2024-01-01T23:00:00Z', p).s.name).toBe('new_york');
    expect(runAt('2024-01-01T15:00:00Z', p).s.name).toBe('london');
    expect(runAt('2024-01-01T16:00:00Z', p).s.name).toBe('new_york');
  });

  it('rejects out-of-order hours, fractional hours and unknown keys; the defaults are the documented hours', () => {
    expect(manifest.params.safeParse({ london_start_hour: 13 }).success).toBe(false);
    expect(manifest.params.safeParse({ london_start_hour: 7.5 }).success).toBe(false);
    expect(manifest.params.safeParse({ tokyo_start_hour: 0 }).success).toBe(false);
    expect(params).toEqual({
      asia_start_hour: 0,
      london_start_hour: 7,
      overlap_start_hour: 12,
      new_york_start_hour: 16,
      off_hours_start_hour: 21,
    });
  });

  it('rejects an invalid as_of instead of guessing', () => {
    const bad = { run: { as_of: 'not a date' } } as unknown as Parameters<typeof run>[0];
    expect(() => run(bad, params, sdk)).toThrow('run.as_of is not a valid timestamp');
  });
});
