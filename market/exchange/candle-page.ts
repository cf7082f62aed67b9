import { TraderError } from '../../core/errors.ts';
import { candleFault, gridOf } from '../candle-rules.ts';
import type { CandleColumns } from '../csv-candles.ts';

/**
 * Checks one page of klines as the exchange returned it. A malformed page is treated as
 * a transient fault (retried), never stored: exchanges and proxies do send garbage.
 */
export function validateOhlcvPage(rows: unknown, timeframe: string, what: string): CandleColumns {
  const onGrid = gridOf(timeframe);
  if (!Array.isArray(rows)) throw new TraderError('TRANSIENT', `${what}: the exchange returned no candle list.`);
  const out: CandleColumns = { ts: [], open: [], high: [], low: [], close: [], volume: [] };
  let previous = -Infinity;
  for (const [i, row] of rows.entries()) {
    const bad = (why: string) => new TraderError('TRANSIENT', `${what}: candle ${i} of the page ${why}.`);
    if (!Array.isArray(row) || row.length < 6) throw bad('is not [time, open, high, low, close, volume]');
    const [ts, open, high, low, close, volume] = row.slice(0, 6).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    if (!Number.isSafeInteger(ts) || Number.isNaN(new Date(ts).getTime())) throw bad(`has open time ${ts}, not a time`);
    if (!onGrid(ts)) throw bad(`has open time ${ts} (${iso(ts)}), off the ${timeframe} grid`);
    if (ts <= previous) throw bad(`opening ${iso(ts)} is not after the one before it`);
    const fault = candleFault({ open, high, low, close, volume });
    if (fault) throw bad(`opening ${iso(ts)} is refused: ${fault}`);
    previous = ts;
    out.ts.push(ts);
    out.open.push(open);
    out.high.push(high);
    out.low.push(low);
    out.close.push(close);
    out.volume.push(volume);
  }
  return out;
}

const iso = (ts: number) => new Date(ts).toISOString();

/** Keeps candles in [from, until) that are closed by `closedBy` (open time + timeframe <= closedBy). */
export function keepClosed(
  page: CandleColumns,
  from: number,
  until: number,
  closedBy: number,
  timeframeMs: number,
): CandleColumns {
  const keep = page.ts.map((t) => t >= from && t < until && t + timeframeMs <= closedBy);
  const pick = (xs: number[]) => xs.filter((_, i) => keep[i]);
  return {
    ts: pick(page.ts),
    open: pick(page.open),
    high: pick(page.high),
    low: pick(page.low),
    close: pick(page.close),
    volume: pick(page.volume),
  };
}
