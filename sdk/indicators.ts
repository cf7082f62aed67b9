import { adx, atr, ema, rsi, sma } from 'technicalindicators';

/**
 * Indicator helpers for modules, from `technicalindicators`. Each returns one value per
 * input bar, aligned to the input: bars before the indicator has enough history are NaN,
 * so `out[i]` always belongs to candle `i`.
 */
function alignRight(values: number[], length: number): number[] {
  const out = new Array<number>(length - values.length).fill(Number.NaN);
  return out.concat(values);
}

interface Hlc {
  readonly high: readonly number[];
  readonly low: readonly number[];
  readonly close: readonly number[];
}

export const indicators = {
  sma: (values: readonly number[], period: number) =>
    alignRight(sma({ period, values: [...values] }), values.length),
  ema: (values: readonly number[], period: number) =>
    alignRight(ema({ period, values: [...values] }), values.length),
  rsi: (values: readonly number[], period: number) =>
    alignRight(rsi({ period, values: [...values] }), values.length),
  /** Wilder's average true range. */
  atr: (c: Hlc, period: number) =>
    alignRight(atr({ period, high: [...c.high], low: [...c.low], close: [...c.close] }), c.close.length),
  /** Wilder's average directional index (trend strength, 0-100). */
  adx: (c: Hlc, period: number) =>
    alignRight(
      adx({ period, high: [...c.high], low: [...c.low], close: [...c.close] }).map((r) => r.adx),
      c.close.length,
    ),
  /** Highest value of `values[from..to)` (indexes as `slice` reads them). */
  highest: (values: readonly number[], from: number, to: number) => extreme(values, from, to, Math.max, -Infinity),
  /** Lowest value of `values[from..to)` (indexes as `slice` reads them). */
  lowest: (values: readonly number[], from: number, to: number) => extreme(values, from, to, Math.min, Infinity),
};

/** `slice`'s reading of an index: negative counts from the end, clamped to [0, length]. */
function sliceIndex(i: number, length: number): number {
  const n = Math.trunc(i) || 0;
  return n < 0 ? Math.max(length + n, 0) : Math.min(n, length);
}

/**
 * Math.max / Math.min over `values.slice(from, to)` without the copy and the argument
 * spread (which fails on very long ranges): NaN anywhere gives NaN, an empty range
 * gives -Infinity / Infinity, exactly as Math.max(...[]) does.
 */
function extreme(values: readonly number[], from: number, to: number, pick: (a: number, b: number) => number, empty: number): number {
  const end = sliceIndex(to, values.length);
  let out = empty;
  for (let i = sliceIndex(from, values.length); i < end; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) return Number.NaN;
    out = pick(out, v);
  }
  return out;
}

export type Indicators = typeof indicators;

/** Rounds a quantity down to the market's step so an order never exceeds the sized risk. */
export function floorToStep(value: number, step: number): number {
  if (!(step > 0)) return value;
  const decimals = Math.max(0, Math.ceil(-Math.log10(step)));
  let n = Math.floor(value / step);
  // value / step can land a hair below a whole number through float error: take the next step only if it still fits.
  if ((n + 1) * step <= value) n += 1;
  return Number((n * step).toFixed(Math.min(decimals, 100)));
}

/** The step implied by a number of decimals (ccxt's DECIMAL_PLACES precision mode). */
export function stepFromPrecision(decimals: number): number {
  return 10 ** -decimals;
}
