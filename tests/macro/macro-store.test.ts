import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildMacroContext } from '../../market/macro/build-macro-context.ts';
import { importMacroCsv } from '../../market/macro/import-macro-csv.ts';
import { loadMacroAsOf, macroCoverage, upsertMacroPoints } from '../../market/macro/macro-repo.ts';
import { Macro } from '../../sdk/macro-schema.ts';
import type { Queryable } from '../../store/db.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import {
  DAY,
  MACRO_FIRST_TS,
  MACRO_LAST_TS,
  MACRO_ROWS,
  macroSampleFile,
  macroSampleText,
  row,
} from './sample-macro.ts';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-macro-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeCsv(text: string): string {
  const file = path.join(tmp, 'macro.csv');
  fs.writeFileSync(file, text);
  return file;
}

const count = async (q: Queryable) =>
  (await q.query<{ n: number }>('select count(*)::int8 as n from macro_series'))[0]!.n;

const lines = macroSampleText.trimEnd().split('\n');
const head = (n: number) => lines.slice(0, n + 1);
/** The first `n` rows with file line `line` (1 = header) edited. */
const edit = (n: number, line: number, fn: (cells: string[]) => void) => {
  const l = head(n);
  const cells = l[line - 1]!.split(',');
  fn(cells);
  l[line - 1] = cells.join(',');
  return l.join('\n');
};

/** [name, file text, expected message]: each must be refused with nothing written. */
const badFiles: [string, string, RegExp][] = [
  [
    'bad header',
    ['timestamp,total,btc', ...head(3).slice(1)].join('\n'),
    /macro\.csv line 1: the header must be one of/,
  ],
  [
    'wrong header for the source',
    head(3).join('\n').replace('total_mcap_ffill', 'ffill'),
    /line 1: the header must be/,
  ],
  ['non-numeric', edit(4, 3, (c) => (c[2] = 'abc')), /line 3: btc_mcap_usd 'abc' is not a number/],
  ['empty cell', edit(4, 2, (c) => (c[1] = '')), /line 2: total_mcap_usd '' is not a number/],
  [
    'unsorted',
    (() => {
      const l = head(4);
      [l[2], l[3]] = [l[3]!, l[2]!];
      return l.join('\n');
    })(),
    /line 4: timestamps are not sorted/,
  ],
  [
    'duplicate',
    (() => {
      const l = head(4);
      l[3] = l[2]!;
      return l.join('\n');
    })(),
    /line 4: duplicate timestamp/,
  ],
  ['pct above 100', edit(4, 5, (c) => (c[4] = '100.5')), /line 5: btc_dominance_pct 100.5 is outside 0\.\.100/],
  ['pct disagrees with caps', edit(4, 2, (c) => (c[5] = '9.5')), /line 2: usdt_dominance_pct 9.5 disagrees/],
  [
    'not midnight',
    edit(4, 2, (c) => (c[0] = String(Number(c[0]) + 3_600_000))),
    /line 2: timestamp \d+ \(2023-01-01T01:00:00\.000Z\) is not 00:00 UTC/,
  ],
  ['short row', edit(4, 3, (c) => c.pop()), /line 3: expected 7 columns but found 6/],
  ['no rows', head(0).join('\n'), /has a header but no rows/],
];

describe.each(backends)('macro import and context on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.dispose());

  it('imports the sample idempotently: 4 points per day, same rows after a second import', async () => {
    db = await freshDb(kind);
    const first = await importMacroCsv(db, { file: macroSampleFile });
    expect(first).toEqual({
      source: 'coingecko_csv',
      rows: MACRO_ROWS,
      points_written: 4 * MACRO_ROWS,
      first_ts: MACRO_FIRST_TS,
      last_ts: MACRO_LAST_TS,
    });
    const again = await importMacroCsv(db, { file: macroSampleFile, source: 'coingecko_csv' });
    expect(again.points_written).toBe(4 * MACRO_ROWS);
    expect(await count(db)).toBe(4 * MACRO_ROWS);
    const coverage = await macroCoverage(db);
    expect(coverage.map((c) => [c.source, c.metric, c.rows])).toEqual(
      ['BTC.MCAP', 'TOTAL', 'TOTAL.FFILL', 'USDT.MCAP'].map((m) => ['coingecko_csv', m, MACRO_ROWS]),
    );
    expect(coverage.every((c) => c.first_ts === MACRO_FIRST_TS && c.last_ts === MACRO_LAST_TS)).toBe(true);
  });

  it('refuses every malformed file with a line-numbered sentence and writes nothing', async () => {
    db = await freshDb(kind);
    for (const [name, text, message] of badFiles) {
      await expect(
        importMacroCsv(db, { file: writeCsv(text), source: name === 'bad header' ? undefined : 'coingecko_csv' }),
        name,
      ).rejects.toMatchObject({
        code: 'BAD_INPUT',
        message: expect.stringMatching(message),
      });
    }
    // A failure on the last row keeps the earlier, valid rows out too (validation before any write).
    await expect(importMacroCsv(db, { file: writeCsv(edit(200, 201, (c) => (c[5] = '120'))) })).rejects.toThrow(
      /line 201: usdt_dominance_pct 120/,
    );
    await expect(importMacroCsv(db, { file: macroSampleFile, source: 'binance' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(importMacroCsv(db, { file: path.join(tmp, 'missing.csv') })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await count(db)).toBe(0);
  });

  it('imports the TradingView layout as BTC.D, USDT.D and TOTAL3', async () => {
    db = await freshDb(kind);
    const tv =
      'timestamp,btc_d_pct,usdt_d_pct,total3_usd\n1668556800000,40.478070875115094,8.356776287407069,321588832377.0\n1668643200000,40.72667652867323,8.373405510138747,319525662850.0\n';
    expect(await importMacroCsv(db, { file: writeCsv(tv) })).toMatchObject({
      source: 'tradingview_csv',
      rows: 2,
      points_written: 6,
    });
    const m = await buildMacroContext(db, new Date('2022-11-18T00:00:00Z'));
    expect(m).toMatchObject({
      source: 'tradingview_csv',
      as_of: '2022-11-17T00:00:00.000Z',
      btc_d: 40.72667652867323,
      total_mcap_usd: null,
      total3_usd: 319525662850,
    });
    await expect(importMacroCsv(db, { file: writeCsv(tv.replace('40.72667652867323', '101')) })).rejects.toThrow(
      /line 3: btc_d_pct 101 is outside 0\.\.100/,
    );
  });

  it('returns null without macro data, and shows a daily row only after its day closed', async () => {
    db = await freshDb(kind);
    expect(await buildMacroContext(db, new Date('2024-03-01T12:00:00Z'))).toBeNull();
    await importMacroCsv(db, { file: macroSampleFile });

    // 2024-03-01 12:00: the row dated 2024-03-01 describes a day still open, so the newest usable row is 2024-02-29.
    const midday = (await buildMacroContext(db, new Date('2024-03-01T12:00:00Z')))!;
    expect(Macro.parse(midday)).toEqual(midday);
    expect(midday.as_of).toBe('2024-02-29T00:00:00.000Z');
    expect(midday.total_mcap_usd).toBe(row('2024-02-29').total);
    expect(midday.age_hours).toBe(36);
    expect((await buildMacroContext(db, new Date('2024-03-01T23:59:59.999Z')))!.as_of).toBe('2024-02-29T00:00:00.000Z');

    const closed = (await buildMacroContext(db, new Date('2024-03-02T00:00:00Z')))!;
    const d = row('2024-03-01');
    expect(closed.as_of).toBe('2024-03-01T00:00:00.000Z');
    expect(closed.btc_d).toBeCloseTo((100 * d.btc) / d.total, 12);
    const d7 = row('2024-02-23');
    expect(closed.trends.total_mcap_usd['7d']!.change_pct).toBeCloseTo(100 * (d.total / d7.total - 1), 10);
    expect(closed.trends.btc_d['30d']!.from).toBe('2024-01-31T00:00:00.000Z');

    // Before the first row has closed there is nothing to see.
    expect(await buildMacroContext(db, new Date(MACRO_FIRST_TS + DAY - 1))).toBeNull();
    // Long after the sample ends the last row is still served, flagged stale.
    const late = (await buildMacroContext(db, new Date('2025-06-01T00:00:00Z')))!;
    expect(late).toMatchObject({ as_of: '2024-12-31T00:00:00.000Z', stale: true });
  });

  it('loads one source only: the newest visible, or the one asked for', async () => {
    db = await freshDb(kind);
    await importMacroCsv(db, { file: macroSampleFile });
    const snapTs = Date.parse('2024-03-01T10:00:00Z');
    await upsertMacroPoints(db, [
      { source: 'coingecko_global', metric: 'TOTAL', ts: snapTs, value: 2.4e12 },
      { source: 'coingecko_global', metric: 'BTC.D', ts: snapTs, value: 51 },
    ]);
    // At 09:59 the snapshot does not exist yet: the CSV's 2024-02-29 row is the newest visible point.
    expect((await loadMacroAsOf(db, new Date(snapTs - 60_000), 30))!.source).toBe('coingecko_csv');
    const live = (await buildMacroContext(db, new Date(snapTs)))!;
    expect(live).toMatchObject({
      source: 'coingecko_global',
      as_of: '2024-03-01T10:00:00.000Z',
      visible_at: '2024-03-01T10:00:00.000Z',
      btc_d: 51,
      usdt_d: null,
      alts_d: null,
    });
    expect(live.trends.btc_d['7d']).toBeNull();
    expect((await buildMacroContext(db, new Date(snapTs), { source: 'coingecko_csv' }))!.as_of).toBe(
      '2024-02-29T00:00:00.000Z',
    );
    // The window holds lookback + 1 day of rows before the newest point, nothing older.
    const raw = (await loadMacroAsOf(db, new Date('2024-03-02T00:00:00Z'), 7, { source: 'coingecko_csv' }))!;
    expect(raw.metrics.TOTAL!.ts).toHaveLength(9);
    expect(raw.metrics.TOTAL!.ts.at(-1)).toBe(row('2024-03-01').ts);
  });
});
