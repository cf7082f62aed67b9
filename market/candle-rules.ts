import { parseTimeframe, stepOffsetMs } from './timeframes.ts';

/**
 * What makes one candle fit to store and to decide on. The same rule is enforced three
 * times: here (CSV import, exchange pages, data health, `trader data check`), by the
 * candles table's CHECK constraints (supabase/migrations/20261203100000_candle_value_checks.sql)
 * and by `soundCandleSql` below; tests/market/candle-rules.test.ts proves the three agree.
 */

export interface CandleValues {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

const prices = ['open', 'high', 'low', 'close'] as const;

/** Every price finite and above zero, the volume finite and not negative. */
export function valuesSound(c: CandleValues): boolean {
  return (
    c.open > 0 &&
    c.open < Infinity &&
    c.high > 0 &&
    c.high < Infinity &&
    c.low > 0 &&
    c.low < Infinity &&
    c.close > 0 &&
    c.close < Infinity &&
    c.volume >= 0 &&
    c.volume < Infinity
  );
}

/** The open and close inside low..high (meaningful only for sound values). */
export function rangeSound(c: CandleValues): boolean {
  return c.low <= c.open && c.low <= c.close && c.high >= c.open && c.high >= c.close;
}

/**
 * Why the candle's values cannot be right, in words naming the value, or null when they
 * can (`valuesSound` and `rangeSound`).
 */
export function candleFault(c: CandleValues): string | null {
  if (!valuesSound(c)) {
    for (const p of prices) if (!Number.isFinite(c[p])) return `${p} ${c[p]} is not a finite number`;
    if (!Number.isFinite(c.volume)) return `volume ${c.volume} is not a finite number`;
    if (prices.some((p) => c[p] <= 0)) return 'prices must be positive';
    return `volume ${c.volume} is negative`;
  }
  if (rangeSound(c)) return null;
  if (c.high < c.low) return `high ${c.high} is below low ${c.low}`;
  return `open ${c.open} and close ${c.close} must lie between low ${c.low} and high ${c.high}`;
}

/** A grid test for one timeframe: is an open time one of its candles' open times? */
export function gridOf(timeframe: string): (ts: number) => boolean {
  return gridOfStep(parseTimeframe(timeframe));
}

/** The same test from the candle's length in ms. */
export function gridOfStep(stepMs: number): (ts: number) => boolean {
  const offset = stepOffsetMs(stepMs);
  return (ts) => (ts - offset) % stepMs === 0;
}

/**
 * The SQL twin of `candleFault(...) === null` over columns of `alias`. Postgres orders
 * NaN above every number (so `open > 0` holds for NaN), hence the upper bound.
 */
export function soundCandleSql(alias = ''): string {
  const col = (name: string) => (alias ? `${alias}.${name}` : name);
  const finite = (name: string, lower: string) => `${col(name)} ${lower} and ${col(name)} < 'Infinity'::float8`;
  return `(${[
    ...prices.map((p) => finite(p, '> 0')),
    finite('volume', '>= 0'),
    `${col('low')} <= ${col('open')} and ${col('low')} <= ${col('close')}`,
    `${col('high')} >= ${col('open')} and ${col('high')} >= ${col('close')}`,
  ].join(' and ')})`;
}
