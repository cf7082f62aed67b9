import { adx, atr, ema, rsi } from 'technicalindicators';

/**
 * Indicator helpers for modules. Each returns one value per input bar, aligned to the input:
 * bars before the indicator has enough history are NaN, so `out[i]` always belongs to candle `i`.
 *
 * Where a history starts must not change a decision. Finite-window helpers (sma, highest,
 * lowest) are therefore bit-identical whatever the series' first bar: each window is read
 * afresh in a fixed order, never carried along as a running sum, whose float residue would
 * depend on every value that ever entered it (and so on where the series began; at an exact
 * tie, such as two SMAs equal on coarse ticks, a live run and a backtest would decide the same
 * candle differently). Recursive ones (ema, Wilder's rsi, atr, adx, from `technicalindicators`)
 * depend on their seed by nature: they converge as the seed recedes, and a live run loads at
 * least the plan's recorded warm-up (module_registry.gate) so that the seed no longer matters.
 */
function alignRight(values: number[], length: number): number[] {
  const out = new Array<number>(length - values.length).fill(Number.NaN);
  return out.concat(values);
}

/** A series of numbers: a candle column, an indicator's output, or a prepared typed column. */
export type Values = readonly number[] | Float64Array;

interface Hlc {
  readonly high: Values;
  readonly low: Values;
  readonly close: Values;
}

/**
 * Simple moving average, each window summed afresh from its oldest value to its newest: out[i]
 * depends on values[i - period + 1 .. i] only, to the last bit. O(n x period): 60,000 bars of a
 * 200-bar SMA take a few tens of milliseconds (bench/indicator-windows.ts), once per series
 * through the run's indicator cache.
 */
function sma(values: Values, period: number): number[] {
  if (!(Number.isInteger(period) && period >= 1))
    throw new Error(`sma period must be a whole number >= 1, not ${period}`);
  const n = values.length;
  const out = new Array<number>(n).fill(Number.NaN);
  for (let i = period - 1; i < n; i++) {
    let sum = 0;
    for (let j = i - period + 1; j <= i; j++) sum += values[j]!;
    out[i] = sum / period;
  }
  return out;
}

export const indicators = {
  /** Simple moving average (finite window: independent of where the series starts). */
  sma,
  /** Exponential moving average seeded with the SMA of the first `period` values (recursive: depends on its seed). */
  ema: (values: Values, period: number) => alignRight(ema({ period, values: [...values] }), values.length),
  rsi: (values: Values, period: number) => alignRight(rsi({ period, values: [...values] }), values.length),
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
  highest: (values: Values, from: number, to: number) => extreme(values, from, to, Math.max, -Infinity),
  /** Lowest value of `values[from..to)` (indexes as `slice` reads them). */
  lowest: (values: Values, from: number, to: number) => extreme(values, from, to, Math.min, Infinity),
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
function extreme(
  values: Values,
  from: number,
  to: number,
  pick: (a: number, b: number) => number,
  empty: number,
): number {
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
