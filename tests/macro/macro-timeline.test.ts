import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMacroContext, type BuildMacroOptions } from '../../market/macro/build-macro-context.ts';
import { importMacroCsv } from '../../market/macro/import-macro-csv.ts';
import { loadMacroAsOf, upsertMacroPoints, type MacroPoint } from '../../market/macro/macro-repo.ts';
import { macroTimeline } from '../../market/macro/macro-timeline.ts';
import type { Queryable } from '../../store/db.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { legacyLoadMacroAsOf } from './legacy-macro-sql.ts';
import { DAY, MACRO_FIRST_TS, MACRO_LAST_TS, macroSampleFile } from './sample-macro.ts';

const HOUR = 3_600_000;
const t = (iso: string) => Date.parse(iso);
/** from, from + step, ... up to `to` inclusive, as ms. */
const steps = (from: number, to: number, step: number) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

/** Each case: one timeline over [min, max] of its times, compared with buildMacroContext at every time. */
interface Case {
  name: string;
  times: number[];
  options?: BuildMacroOptions;
  /** Range of the timeline when wider than the times (a range reaching past the data). */
  range?: [number, number];
}

/** Asserts timeline(asOf) deep-equals buildMacroContext(asOf), JSON text included (key order); returns the values. */
async function expectSameAsLive(db: Queryable, c: Case) {
  const times = [...c.times].sort((a, b) => a - b);
  const [from, to] = c.range ?? [times[0]!, times.at(-1)!];
  let queries = 0;
  const counted: Queryable = {
    query: (text, params) => (queries++, db.query(text, params)),
    exec: (sql) => db.exec(sql),
    copyFrom: (table, columns, rows) => db.copyFrom(table, columns, rows),
  };
  const timeline = await macroTimeline(counted, { from: new Date(from), to: new Date(to) }, c.options);
  const got = times.map((ms) => timeline(new Date(ms)));
  expect(queries, `${c.name}: one query for the whole timeline`).toBe(1);
  for (const [i, ms] of times.entries()) {
    const want = await buildMacroContext(db, new Date(ms), c.options);
    expect(got[i], `${c.name} at ${new Date(ms).toISOString()}`).toEqual(want);
    expect(JSON.stringify(got[i])).toBe(JSON.stringify(want));
  }
  return got;
}

const first = MACRO_FIRST_TS + DAY; // the first row becomes visible when its day has closed
const lastVisible = MACRO_LAST_TS + DAY;

const sampleCases: Case[] = [
  // The range starts mid-data: the 30-day windows reach back before `from`.
  { name: 'hourly, three weeks', times: steps(t('2024-02-20T00:00:00Z'), t('2024-03-12T00:00:00Z'), HOUR) },
  { name: 'hourly, offset minutes', times: steps(t('2023-06-10T00:17:00Z'), t('2023-06-17T00:17:00Z'), HOUR) },
  {
    name: 'daily across 2023-2024 and edges',
    times: [
      ...steps(t('2022-12-30T00:00:00Z'), t('2025-01-05T00:00:00Z'), DAY), // at each visibility boundary
      ...steps(t('2022-12-31T23:59:59.999Z'), t('2025-01-05T00:00:00Z'), 7 * DAY), // 1 ms before one
      first - 1, // nothing visible yet
      first, // exactly when the first row becomes visible
      MACRO_LAST_TS + 48 * HOUR, // 48 h old: not yet stale
      MACRO_LAST_TS + 48 * HOUR + 1, // stale
      t('2025-06-01T00:00:00Z'), // long after the last point
    ],
  },
  {
    name: 'range entirely after the data',
    times: steps(t('2025-02-01T00:00:00Z'), t('2025-06-01T00:00:00Z'), 5 * DAY),
  },
  { name: 'range entirely before the data', times: steps(t('2022-12-01T00:00:00Z'), first - 1, 6 * HOUR) },
  {
    name: 'range wider than the times',
    times: steps(t('2024-05-01T00:00:00Z'), t('2024-05-03T00:00:00Z'), HOUR),
    range: [t('2023-01-01T00:00:00Z'), t('2025-01-01T00:00:00Z')],
  },
  {
    name: 'other lookbacks, threshold and staleness',
    times: [
      ...steps(t('2023-01-01T00:00:00Z'), t('2025-01-10T00:00:00Z'), 3 * DAY + 5 * HOUR),
      ...steps(t('2024-12-30T00:00:00Z'), t('2025-01-03T00:00:00Z'), HOUR),
    ],
    options: { lookbacks: [1, 3, 60], staleAfterHours: 30, flatThresholdPct: { btc_d: 0.25, usdt_d: 2 } },
  },
];

/** Second, third... sources over the sample, shaped so each selection rule decides somewhere. */
function extraPoints(): MacroPoint[] {
  const points: MacroPoint[] = [];
  // coingecko_global (lag 0) every 6 h; its last snapshot ties with the CSV's 2024-03-06 row, which wins by preference.
  for (const [i, ts] of steps(t('2024-03-01T12:00:00Z'), t('2024-03-06T00:00:00Z'), 6 * HOUR).entries()) {
    points.push(
      { source: 'coingecko_global', metric: 'TOTAL', ts, value: 2.4e12 + i * 1e10 },
      { source: 'coingecko_global', metric: 'BTC.D', ts, value: 51 + i * 0.1 },
      { source: 'coingecko_global', metric: 'USDT.D', ts, value: 4 - i * 0.02 },
      { source: 'coingecko_global', metric: 'ETH.D', ts, value: 17 + (i % 3) * 0.1 },
    );
  }
  // tradingview_csv (lag 1 day): ties with the CSV in December (the CSV wins), newest alone from 2025-01-01.
  for (const [i, ts] of steps(t('2024-11-01T00:00:00Z'), t('2025-01-10T00:00:00Z'), DAY).entries()) {
    points.push(
      { source: 'tradingview_csv', metric: 'BTC.D', ts, value: 55 + Math.sin(i) },
      { source: 'tradingview_csv', metric: 'USDT.D', ts, value: 4 + Math.cos(i) / 10 },
      { source: 'tradingview_csv', metric: 'TOTAL3', ts, value: 8e11 + i * 1e9 },
    );
  }
  // Two unknown sources (default lag, ranked after the known ones): aa_src ties with tradingview_csv and
  // loses although its name sorts first (sourcePreference is alphabetical, so other ties cannot tell);
  // a tie of the two goes to the name, then bb_src is newest alone.
  points.push(
    { source: 'aa_src', metric: 'TOTAL', ts: t('2025-01-05T00:00:00Z'), value: 2.9e12 },
    { source: 'aa_src', metric: 'TOTAL', ts: t('2025-02-01T00:00:00Z'), value: 3e12 },
    { source: 'bb_src', metric: 'TOTAL', ts: t('2025-02-01T00:00:00Z'), value: 3.1e12 },
    { source: 'bb_src', metric: 'TOTAL', ts: t('2025-02-02T00:00:00Z'), value: 3.2e12 },
  );
  return points;
}

const snapshotEdges = steps(t('2024-03-01T12:00:00Z'), t('2024-03-06T00:00:00Z'), 6 * HOUR).flatMap((ts) => [
  ts - 1,
  ts,
]);
const multiTimes = [
  ...steps(t('2024-02-28T00:00:00Z'), t('2024-03-09T00:00:00Z'), HOUR),
  ...snapshotEdges,
  ...steps(t('2024-10-30T00:00:00Z'), t('2025-02-05T00:00:00Z'), DAY),
  ...steps(t('2025-01-01T00:00:00Z'), t('2025-01-03T00:00:00Z'), HOUR),
  t('2025-02-02T00:00:00Z') - 1,
];

describe.each(backends)('macroTimeline on %s', (kind) => {
  let sample: TestDb;
  let multi: TestDb;
  beforeAll(async () => {
    [sample, multi] = await Promise.all([freshDb(kind), freshDb(kind)]);
    await importMacroCsv(sample, { file: macroSampleFile });
    await importMacroCsv(multi, { file: macroSampleFile });
    await upsertMacroPoints(multi, extraPoints());
  });
  afterAll(async () => {
    await sample?.dispose();
    await multi?.dispose();
  });

  it.each(sampleCases.map((c) => [c.name, c] as const))(
    'equals buildMacroContext on the sample: %s',
    async (_name, c) => {
      const got = await expectSameAsLive(sample, c);
      if (c.name.startsWith('daily')) {
        const at = (ms: number) => got[[...c.times].sort((a, b) => a - b).indexOf(ms)];
        expect(at(first - 1)).toBeNull();
        expect(at(first)).toMatchObject({ as_of: new Date(MACRO_FIRST_TS).toISOString(), age_hours: 24 });
        expect(at(lastVisible)).toMatchObject({ as_of: new Date(MACRO_LAST_TS).toISOString(), stale: false });
        expect(at(MACRO_LAST_TS + 48 * HOUR + 1)).toMatchObject({
          as_of: new Date(MACRO_LAST_TS).toISOString(),
          stale: true,
        });
      }
      if (c.name.includes('before')) expect(got.every((m) => m === null)).toBe(true);
      if (c.name.includes('after'))
        expect(got.every((m) => m?.stale && m.as_of === new Date(MACRO_LAST_TS).toISOString())).toBe(true);
    },
  );

  it('equals buildMacroContext with several sources, where newest and preference decide', async () => {
    const got = await expectSameAsLive(multi, { name: 'several sources', times: multiTimes });
    const sourceAt = (iso: string) => got[[...multiTimes].sort((a, b) => a - b).indexOf(t(iso))]?.source;
    expect(sourceAt('2024-03-01T11:59:59.999Z')).toBe('coingecko_csv');
    expect(sourceAt('2024-03-01T12:00:00Z')).toBe('coingecko_global');
    expect(sourceAt('2024-03-06T12:00:00Z')).toBe('coingecko_global');
    expect(sourceAt('2024-03-07T00:00:00Z')).toBe('coingecko_csv'); // tie with the last snapshot: preference
    expect(sourceAt('2024-12-15T00:00:00Z')).toBe('coingecko_csv'); // tie with tradingview_csv: preference
    expect(sourceAt('2025-01-02T00:00:00Z')).toBe('tradingview_csv'); // newest alone
    expect(sourceAt('2025-01-06T00:00:00Z')).toBe('tradingview_csv'); // tie with aa_src: preference, not name
    expect(sourceAt('2025-02-02T00:00:00Z')).toBe('aa_src'); // tie of unknown sources: name
    expect(sourceAt('2025-02-03T00:00:00Z')).toBe('bb_src');
    for (const source of ['coingecko_csv', 'coingecko_global', 'tradingview_csv', 'nope']) {
      await expectSameAsLive(multi, {
        name: `only ${source}`,
        times: multiTimes.filter((_, i) => i % 3 === 0),
        options: { source },
      });
    }
  });

  it('loadMacroAsOf picks the same source and window as the two SQL queries it replaced', async () => {
    for (const ms of multiTimes.filter((_, i) => i % 2 === 0)) {
      for (const [lookback, source] of [
        [30, undefined],
        [0, undefined],
        [7, 'tradingview_csv'],
      ] as const) {
        const asOf = new Date(ms);
        const want = await legacyLoadMacroAsOf(multi, asOf, lookback, { source });
        expect(
          await loadMacroAsOf(multi, asOf, lookback, { source }),
          `${asOf.toISOString()} lookback ${lookback}`,
        ).toEqual(want);
      }
    }
  });

  it('refuses an as-of outside its range and a reversed range', async () => {
    const from = new Date('2024-01-01T00:00:00Z');
    const to = new Date('2024-02-01T00:00:00Z');
    const timeline = await macroTimeline(sample, { from, to });
    expect(() => timeline(new Date(from.getTime() - 1))).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    expect(() => timeline(new Date(to.getTime() + 1))).toThrow(/outside the macro timeline's range/);
    expect(() => timeline(new Date(NaN))).toThrow(/not a valid date/);
    await expect(macroTimeline(sample, { from: to, to: from })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(macroTimeline(sample, { from, to }, { lookbacks: [NaN] })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
  });
});
