import { readTextFile } from '../../core/read-text-file.ts';
import path from 'node:path';
import { TraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { DAY_MS, rawMetrics } from './derive.ts';
import { upsertMacroPoints, type MacroPoint } from './macro-repo.ts';
import { quote } from '../../core/quote.ts';

/**
 * Imports the shared data set's daily macro CSVs (see the data README) into `macro_series`.
 * Everything is validated before the database is touched and all points are written in one
 * transaction, so a bad file leaves the database as it was. Re-importing overwrites (upsert).
 *
 * coingecko_csv stores TOTAL, BTC.MCAP, USDT.MCAP and TOTAL.FFILL per row; the file's two
 * dominance columns are checked against 100 × mcap / total (they are computed that way
 * upstream) but not stored, so BTC.D has exactly one definition (derive.ts).
 * tradingview_csv stores BTC.D, USDT.D and TOTAL3 as TradingView publishes them; it has no
 * total market cap, so TOTAL and the *_MCAP inputs do not exist for it.
 */

export const macroCsvFormats = {
  coingecko_csv:
    'timestamp,total_mcap_usd,btc_mcap_usd,usdt_mcap_usd,btc_dominance_pct,usdt_dominance_pct,total_mcap_ffill',
  tradingview_csv: 'timestamp,btc_d_pct,usdt_d_pct,total3_usd',
} as const;
export type MacroCsvSource = keyof typeof macroCsvFormats;

export function isMacroCsvSource(s: string): s is MacroCsvSource {
  return Object.hasOwn(macroCsvFormats, s);
}

export interface ImportMacroCsvResult {
  source: MacroCsvSource;
  rows: number;
  points_written: number;
  first_ts: number;
  last_ts: number;
}

/** The file's dominance columns may differ from 100 × mcap / total by rounding only. */
const DOMINANCE_TOLERANCE_PP = 0.01;

type Fail = (line: number, problem: string) => never;
type RowToPoints = (v: number[], fail: (problem: string) => never) => [string, number][];

const coingeckoRow: RowToPoints = ([, total, btc, usdt, btcPct, usdtPct, ffill], fail) => {
  if (!(total! > 0)) fail(`total_mcap_usd ${total} must be positive`);
  for (const [name, v] of [
    ['btc_dominance_pct', btcPct],
    ['usdt_dominance_pct', usdtPct],
  ] as const) {
    if (v! < 0 || v! > 100) fail(`${name} ${v} is outside 0..100`);
  }
  for (const [name, mcap, reported] of [
    ['btc', btc, btcPct],
    ['usdt', usdt, usdtPct],
  ] as const) {
    if (mcap! < 0) fail(`${name}_mcap_usd ${mcap} is negative`);
    const computed = (100 * mcap!) / total!;
    if (Math.abs(computed - reported!) > DOMINANCE_TOLERANCE_PP) {
      fail(`${name}_dominance_pct ${reported} disagrees with 100 × ${name}_mcap_usd / total_mcap_usd = ${computed}`);
    }
  }
  if (ffill !== 0 && ffill !== 1) fail(`total_mcap_ffill ${ffill} must be 0 or 1`);
  return [
    [rawMetrics.total, total!],
    [rawMetrics.btcMcap, btc!],
    [rawMetrics.usdtMcap, usdt!],
    [rawMetrics.totalFfill, ffill!],
  ];
};

const tradingviewRow: RowToPoints = ([, btcD, usdtD, total3], fail) => {
  for (const [name, v] of [
    ['btc_d_pct', btcD],
    ['usdt_d_pct', usdtD],
  ] as const) {
    if (v! < 0 || v! > 100) fail(`${name} ${v} is outside 0..100`);
  }
  if (btcD! + usdtD! > 100) fail(`btc_d_pct + usdt_d_pct = ${btcD! + usdtD!} exceeds 100`);
  if (!(total3! > 0)) fail(`total3_usd ${total3} must be positive`);
  return [
    [rawMetrics.btcD, btcD!],
    [rawMetrics.usdtD, usdtD!],
    [rawMetrics.total3, total3!],
  ];
};

const rowParsers: Record<MacroCsvSource, RowToPoints> = {
  coingecko_csv: coingeckoRow,
  tradingview_csv: tradingviewRow,
};

/**
 * Parses and validates one macro CSV into points. The header picks the source (or must
 * match `source` when given); rows need finite numbers, a timestamp at 00:00 UTC, strictly
 * ascending. The first bad row throws BAD_INPUT naming its line.
 */
export function parseMacroCsv(
  text: string,
  options: { source?: MacroCsvSource; file?: string } = {},
): { source: MacroCsvSource; points: MacroPoint[]; rows: number } {
  const where = options.file ? path.basename(options.file) : 'CSV';
  const fail: Fail = (line, problem) => {
    throw new TraderError('BAD_INPUT', `${where} line ${line}: ${problem}; fix or remove that row and import again.`);
  };
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const header = (lines[0] ?? '')
    .replace(/^\uFEFF/, '')
    .trim()
    .replace(/\s*,\s*/g, ',');
  const detected = (Object.keys(macroCsvFormats) as MacroCsvSource[]).find((s) => macroCsvFormats[s] === header);
  const source = options.source ?? detected;
  if (!source || macroCsvFormats[source] !== header) {
    const expected = source
      ? `'${macroCsvFormats[source]}' for source ${source}`
      : `one of ${Object.values(macroCsvFormats)
          .map((h) => `'${h}'`)
          .join(' or ')}`;
    throw new TraderError('BAD_INPUT', `${where} line 1: the header must be ${expected} but is ${quote(header)}.`);
  }
  if (lines.length < 2) throw new TraderError('BAD_INPUT', `${where} has a header but no rows: nothing to import.`);

  const names = header.split(',');
  const toPoints = rowParsers[source];
  const points: MacroPoint[] = [];
  let prevTs = -Infinity;
  for (let i = 1; i < lines.length; i++) {
    const lineNo = i + 1;
    const cells = lines[i]!.split(',');
    if (cells.length !== names.length) fail(lineNo, `expected ${names.length} columns but found ${cells.length}`);
    const values = cells.map((cell, c) => {
      const raw = cell.trim();
      // Number('') is 0, so an empty cell must be caught before converting.
      const v = raw === '' ? NaN : Number(raw);
      if (!Number.isFinite(v)) fail(lineNo, `${names[c]} ${quote(raw)} is not a number`);
      return v;
    });
    const ts = values[0]!;
    const iso = (ms: number) => new Date(ms).toISOString();
    if (!Number.isSafeInteger(ts) || ts < 0)
      fail(lineNo, `timestamp ${ts} is not a whole number of ms since the epoch`);
    if (ts % DAY_MS !== 0) fail(lineNo, `timestamp ${ts} (${iso(ts)}) is not 00:00 UTC of a day`);
    if (ts === prevTs) fail(lineNo, `duplicate timestamp ${ts} (${iso(ts)}), the same as the previous row`);
    if (ts < prevTs)
      fail(lineNo, `timestamps are not sorted: ${ts} (${iso(ts)}) comes after ${prevTs} (${iso(prevTs)})`);
    for (const [metric, value] of toPoints(values, (problem) => fail(lineNo, problem)))
      points.push({ source, metric, ts, value });
    prevTs = ts;
  }
  return { source, points, rows: lines.length - 1 };
}

/** Validates `file` completely, then upserts all its points in one transaction. */
export async function importMacroCsv(
  db: Db,
  options: { file: string; source?: string },
): Promise<ImportMacroCsvResult> {
  const { file } = options;
  if (options.source !== undefined && !isMacroCsvSource(options.source)) {
    throw new TraderError(
      'BAD_INPUT',
      `Macro source ${quote(options.source)} is not importable from CSV: use ${Object.keys(macroCsvFormats).join(' or ')}.`,
    );
  }
  const parsed = parseMacroCsv(await readTextFile(file), {
    source: options.source as MacroCsvSource | undefined,
    file,
  });
  const written = await db.transaction((tx) => upsertMacroPoints(tx, parsed.points));
  return {
    source: parsed.source,
    rows: parsed.rows,
    points_written: written,
    first_ts: parsed.points[0]!.ts,
    last_ts: parsed.points[parsed.points.length - 1]!.ts,
  };
}
