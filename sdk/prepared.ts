import type { z } from 'zod';
import type { KeyName } from './context-keys.ts';
import type { ModuleManifest } from './define-module.ts';
import { indicators, type Values } from './indicators.ts';

/**
 * Prepared columns: a module may export `prepare(series, params)` next to `run`. It computes
 * its indicators, channels or levels once over the whole series as typed arrays (one value
 * per bar, `out[i]` belonging to bar i), and `run` reads them at the decision bar in O(1)
 * through a `PreparedView`, allocating nothing per bar.
 *
 * A backtest prepares once over the whole replay; a live run prepares over the candles it
 * loaded. Both give the same value at a bar only if every column is causal: its value at bar
 * i depends on bars 0..i alone. The registration gate proves it (prepare over a series cut at
 * sampled bars equals the prefix of prepare over the whole series, bit for bit).
 */

/** The candle columns `prepare` reads, oldest first; `length` bars. */
export interface SeriesColumns {
  readonly length: number;
  readonly ts: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

/** What `prepare` returns: named columns, each `series.length` long. */
export type PreparedColumns<C extends string> = { readonly [K in C]: Float64Array };

/** The prepared columns as `run` sees them at its decision bar: nothing after it is reachable. */
export interface PreparedView<C extends string = string> {
  /** Index of the decision bar (the newest closed candle) in the candles the module sees. */
  readonly newest: number;
  /** Column `name` `back` bars before the decision bar (0: at it); NaN before the first bar. */
  at(name: C, back?: number): number;
}

export type ModulePrepare<M, C extends string> =
  M extends ModuleManifest<KeyName, KeyName, infer P>
    ? (series: SeriesColumns, params: z.output<P>) => PreparedColumns<C>
    : never;

/** The column names a prepare function returns. */
export type ColumnsOf<F> = F extends (...args: never[]) => PreparedColumns<infer C> ? C : never;

/** A typed column from any list of numbers (an SDK indicator's output, say). */
export const column = (values: ArrayLike<number>): Float64Array => Float64Array.from(values);

/**
 * A column whose value at bar i is `at(i)`, computed for every bar afresh (never carried along
 * as a running sum, whose float residue would depend on where the series starts).
 */
export function columnOf(length: number, at: (i: number) => number): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = at(i);
  return out;
}

/** The highest of `values` over the `period` bars before bar i (bar i excluded: a channel to break); NaN for the first `period` bars. */
export const priorHighest = (values: Values, period: number): Float64Array =>
  columnOf(values.length, (i) => (i < period ? Number.NaN : indicators.highest(values, i - period, i)));

/** The lowest of `values` over the `period` bars before bar i (bar i excluded); NaN for the first `period` bars. */
export const priorLowest = (values: Values, period: number): Float64Array =>
  columnOf(values.length, (i) => (i < period ? Number.NaN : indicators.lowest(values, i - period, i)));

/**
 * The mean of `at(j)` over the `period` bars ending at bar i, summed oldest first afresh at
 * every bar (the order a per-bar loop over the window uses, so both agree to the last bit);
 * NaN for the first `period - 1` bars.
 */
export function windowMean(length: number, period: number, at: (j: number) => number): Float64Array {
  return columnOf(length, (i) => {
    if (i < period - 1) return Number.NaN;
    let sum = 0;
    for (let j = i - period + 1; j <= i; j++) sum += at(j);
    return sum / period;
  });
}
