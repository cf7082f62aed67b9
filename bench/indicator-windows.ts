import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sma as runningSma } from 'technicalindicators';
import { packageRoot } from '../core/paths.ts';
import { parseCandleCsv } from '../market/csv-candles.ts';
import { indicators } from '../sdk/indicators.ts';
import { type Row, fmt, median, renderTable, spread } from './stats.ts';

/**
 * Figure 9: what a history-independent SMA costs. sdk `sma` sums every window afresh
 * (O(n x period)) so its value at a bar never depends on where the series starts; a running
 * sum (technicalindicators, the sdk's former SMA) is O(n) but carries float residue from every
 * value that ever entered it. Timed over the longest real series (BTC/USDT 1h since 2017), and
 * counted: how many values of each differ at the same bar when the series starts 1,000 bars later.
 */

const REPS = 7;
const PERIODS = [20, 50, 200] as const;
const LATER = 1000;
const sharedSeries = path.resolve(packageRoot, '../shared/data/market/binance_BTC-USDT_1h.csv');
const sampleSeries = path.join(packageRoot, 'data/sample/binance_BTC-USDT_1h_2024.csv');

function timed(fn: () => unknown): number[] {
  fn();
  const out: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Values at the same bar that differ (to the last bit) between the full series and the one starting LATER bars on. */
function differing(full: number[], later: number[]): number {
  let n = 0;
  for (let i = 0; i < later.length; i++) if (!Number.isNaN(later[i]!) && !Object.is(full[i + LATER], later[i])) n++;
  return n;
}

export function measureIndicatorWindows(): { rows: Row[]; note: string } {
  const file = fs.existsSync(sharedSeries) ? sharedSeries : sampleSeries;
  const close = parseCandleCsv(fs.readFileSync(file, 'utf8'), { timeframe: '1h' }).close;
  const running = (values: number[], period: number) => runningSma({ period, values });
  const rows: Row[] = [];
  for (const period of PERIODS) {
    for (const [label, fn] of [
      ['fresh windows (sdk sma)', () => indicators.sma(close, period)],
      ['running sum (technicalindicators)', () => running(close, period)],
    ] as const) {
      const ms = timed(fn);
      const full = label.startsWith('fresh') ? indicators.sma(close, period) : alignedRunning(close, period);
      const later = label.startsWith('fresh')
        ? indicators.sma(close.slice(LATER), period)
        : alignedRunning(close.slice(LATER), period);
      rows.push({
        figure: `9. SMA(${period}) over ${close.length} bars, ${label}`,
        backend: 'in process',
        median: `${fmt(median(ms))} ms`,
        range: spread(ms),
        reps: `${REPS}, 1 warm-up`,
        notes: `${differing(full, later)} of ${later.length - period + 1} values differ when the series starts ${LATER} bars later`,
      });
    }
  }
  return { rows, note: `SMA windows (figure 9): closes of ${path.relative(packageRoot, file)}` };
}

function alignedRunning(values: number[], period: number): number[] {
  const out = runningSma({ period, values });
  return [...new Array<number>(values.length - out.length).fill(Number.NaN), ...out];
}

// `npx tsx bench/indicator-windows.ts`: this figure alone.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { rows, note } = measureIndicatorWindows();
  process.stdout.write(`${renderTable(rows)}\n${note}\n`);
}
