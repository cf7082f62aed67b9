import type { z } from 'zod';
import type { CandleSeries } from '../../sdk/context-schemas.ts';

/**
 * The as-of view: how modules see candles, live and in backtests. Each column is a real
 * array holding the candles closed by the decision time and nothing after them; reading
 * past its end throws a LookaheadError instead of quietly giving `undefined`, so a module
 * that peeks ahead fails loudly and is reported.
 *
 * Why arrays and not a Proxy: a Proxy costs ~200 ns per element read; these arrays read
 * at native speed (~3 ns). The guard sits on their prototype, which JavaScript consults
 * only for indexes the array does not hold, i.e. exactly the reads past its end.
 *
 * A backtest grows the same arrays one bar per step (the replay clock) instead of
 * re-copying history, so a module's view at bar t is bars [start, t] of the series.
 */

type Series = z.infer<typeof CandleSeries>;
type Column = 'ts' | 'open' | 'high' | 'low' | 'close' | 'volume';
const columns: readonly Column[] = ['ts', 'open', 'high', 'low', 'close', 'volume'];

/** Thrown when a module reads a candle (or an indicator value) past the decision time. */
export class LookaheadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LookaheadError';
  }
}

const isIndex = (key: string | symbol): key is string =>
  typeof key === 'string' && key.length > 0 && key.charCodeAt(0) >= 48 && key.charCodeAt(0) <= 57;

/** Names of guarded arrays, for the error message ("candles.close"). */
const labels = new WeakMap<object, string>();

const guardedPrototype: object = new Proxy(Array.prototype, {
  get(target, key, receiver: unknown[]) {
    if (isIndex(key)) {
      throw new LookaheadError(
        `read ${labels.get(receiver) ?? 'a history array'}[${key}] but only ${receiver.length} bar(s) are closed at the decision time: modules may not look ahead`,
      );
    }
    return Reflect.get(target, key, receiver);
  },
});

/** An empty array whose reads past its end throw. */
export function guardedArray(label: string): number[] {
  const a: number[] = [];
  Object.setPrototypeOf(a, guardedPrototype);
  labels.set(a, label);
  return a;
}

/** A guarded copy of `values` (a live run's fixed view, or a truncated one). */
export function guardedCopy(values: readonly number[], label: string): number[] {
  // Copy first, then swap the prototype: writing past the end of a guarded array is slow (~400 ns).
  const a = values.slice();
  Object.setPrototypeOf(a, guardedPrototype);
  labels.set(a, label);
  return a;
}

/** The candle view of one series and the cursor that grows it. */
export interface AsOfCandles {
  /** The context value handed to modules (its arrays grow as the cursor advances). */
  readonly view: Series;
  /** Index in the full series of the view's first candle. */
  readonly start: number;
  /** Index in the full series one past the view's last candle. */
  readonly end: number;
  /** Grows the view to full-series index `end` (exclusive); never shrinks. */
  advanceTo(end: number): void;
  /**
   * A backtest's columns cannot be frozen (they grow), so a module could write into them
   * where a live run's frozen view would refuse. Returns the first place where the view
   * no longer equals the loaded candles: `quick` looks at the newest candle and one other
   * (every bar), otherwise every candle is compared (at the end of a replay).
   */
  tampered(quick: boolean): string | null;
}

/** What a view was built from; the indicator cache computes over it once. */
export interface ViewSource {
  full: Series;
  start: number;
  /** A backtest view grows bar by bar; a live run's view is fixed (and frozen). */
  growing: boolean;
}

/** Columns of views, mapped to their source: the indicator cache recognises them by identity. */
export const viewSources = new WeakMap<object, ViewSource & { column: Column }>();

/**
 * A view over `full` starting at index `start`, initially holding candles up to `end`
 * (exclusive). The view object is frozen; its columns grow only through `advanceTo`.
 */
export function asOfCandles(full: Series, start: number, end: number = start): AsOfCandles {
  const cols = Object.fromEntries(columns.map((c) => [c, guardedArray(`candles.${c}`)])) as Record<Column, number[]>;
  for (const c of columns) viewSources.set(cols[c], { full, start, growing: true, column: c });
  const view = Object.freeze({ exchange: full.exchange, symbol: full.symbol, timeframe: full.timeframe, ...cols });
  let at = start;
  let probe = 0;
  const differs = (c: Column, i: number): string | null =>
    cols[c][i] !== full[c][start + i]
      ? `candles.${c}[${i}] is ${cols[c][i]} where the candle says ${full[c][start + i]}`
      : null;
  const tampered = (quick: boolean): string | null => {
    const n = at - start;
    // One probe index for every column of this bar: the check runs every bar, so it allocates nothing.
    if (quick && n > 0) probe = (probe * 1103515245 + 12345) % 2147483648;
    for (const c of columns) {
      const col = cols[c];
      if (col.length !== n) return `candles.${c} has ${col.length} candles where ${n} are closed`;
      if (quick) {
        const found = n > 0 ? (differs(c, n - 1) ?? differs(c, probe % n)) : null;
        if (found) return found;
      } else {
        for (let i = 0; i < n; i++) {
          const found = differs(c, i);
          if (found) return found;
        }
      }
    }
    return null;
  };
  const cursor: AsOfCandles = {
    tampered,
    view,
    start,
    get end() {
      return at;
    },
    advanceTo(to: number) {
      if (to > full.ts.length)
        throw new LookaheadError(
          `the replay asked for candle ${to} of ${full.symbol}, past the ${full.ts.length} loaded`,
        );
      for (; at < to; at++) {
        const i = at - start;
        for (const c of columns) {
          // A module that pushed onto a view would shift every later bar: refuse to go on.
          if (cols[c].length !== i)
            throw new Error(
              `candles.${c} of ${full.symbol} was modified by a module (length ${cols[c].length}, expected ${i})`,
            );
          cols[c][i] = full[c][at]!;
        }
      }
    },
  };
  cursor.advanceTo(end);
  return cursor;
}

/** A live run's view: every loaded candle, frozen, reads past the end guarded. */
export function fixedCandles(series: Series): Series {
  const cols = Object.fromEntries(
    columns.map((c) => {
      const col = guardedCopy(series[c], `candles.${c}`);
      viewSources.set(col, { full: series, start: 0, growing: false, column: c });
      return [c, Object.freeze(col)];
    }),
  ) as Record<Column, number[]>;
  return Object.freeze({ exchange: series.exchange, symbol: series.symbol, timeframe: series.timeframe, ...cols });
}

/** True for a view column: deepFreeze leaves growing columns alone. */
export function isViewColumn(value: unknown): boolean {
  return typeof value === 'object' && value !== null && viewSources.has(value);
}
