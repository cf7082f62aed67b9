import { indicators as computed, type Indicators, type Values } from '../../sdk/indicators.ts';
import { guardedArray, guardedCopy, viewSources, type ViewSource } from './as-of-view.ts';

/**
 * The indicators modules get through `sdk.indicators`: the same functions, but computed
 * once per candle series and shared by every module and every bar. Asked for
 * `ema(candles.close, 50)` on a view of bars [start, t], it computes the EMA over the
 * whole loaded series once and hands out its values up to t only (a growing array with
 * the same look-ahead guard as the candles).
 *
 * This is exact, not an approximation: the indicators are causal (the value at bar i
 * depends on bars start..i only), so values computed over the longer series equal those
 * computed over the view. Any other input (a module's own array) is computed directly.
 */

interface Memo {
  /** The indicator over the full series from the view's start. */
  values: number[];
  /** What modules get: values[0..n), grown as the view grows. */
  out: number[];
}

const memos = new WeakMap<object, Map<string, Memo>>();

function fromStart(source: ViewSource, column: 'open' | 'high' | 'low' | 'close' | 'volume'): number[] {
  return source.full[column].slice(source.start);
}

/** The memoised indicator for a view of `n` bars, computing it on first use. */
function memoised(source: ViewSource, key: string, n: number, compute: () => number[]): number[] {
  let perSeries = memos.get(source.full);
  if (!perSeries) memos.set(source.full, (perSeries = new Map()));
  const fullKey = `${source.start}:${key}`;
  let memo = perSeries.get(fullKey);
  if (!memo) {
    const values = compute();
    memo = { values, out: source.growing ? guardedArray(key) : (Object.freeze(guardedCopy(values, key)) as number[]) };
    perSeries.set(fullKey, memo);
  }
  const { values, out } = memo;
  if (out.length === n) return out;
  // A longer array than the view would leak later values; a fixed view never gets here.
  if (out.length > n || !source.growing) return guardedCopy(values.slice(0, n), key);
  for (let i = out.length; i < n; i++) out[i] = values[i]!;
  return out;
}

/**
 * The first shared indicator value of a series that no longer equals what was computed
 * (a module wrote into an array it was handed), or null. A backtest checks this at the end.
 */
export function indicatorsTampered(full: object): string | null {
  for (const [key, { values, out }] of memos.get(full) ?? []) {
    for (let i = 0; i < out.length; i++)
      if (!Object.is(out[i], values[i]))
        return `${key.replace(/^\d+:/, '')}[${i}] is ${out[i]} where it was computed as ${values[i]}`;
  }
  return null;
}

/** The source of a view column, or undefined for any other array. */
function sourceOf(values: Values, column: string): ViewSource | undefined {
  const s = viewSources.get(values);
  return s && s.column === column ? s : undefined;
}

type Hlc = Parameters<Indicators['atr']>[0];

/** The source when high, low and close are columns of the same view. */
function hlcSource(c: Hlc): ViewSource | undefined {
  const s = sourceOf(c.close, 'close');
  const h = sourceOf(c.high, 'high');
  const l = sourceOf(c.low, 'low');
  return s &&
    h &&
    l &&
    h.full === s.full &&
    l.full === s.full &&
    h.start === s.start &&
    l.start === s.start &&
    c.high.length === c.close.length &&
    c.low.length === c.close.length
    ? s
    : undefined;
}

const closeSeries =
  (name: 'sma' | 'ema' | 'rsi') =>
  (values: Values, period: number): number[] => {
    const source = viewSources.get(values);
    if (!source || source.column === 'ts') return computed[name](values, period);
    const column = source.column;
    return memoised(source, `${name}(${column},${period})`, values.length, () =>
      computed[name](fromStart(source, column), period),
    );
  };

const hlcSeries =
  (name: 'atr' | 'adx') =>
  (c: Hlc, period: number): number[] => {
    const source = hlcSource(c);
    if (!source) return computed[name](c, period);
    return memoised(source, `${name}(${period})`, c.close.length, () =>
      computed[name](
        { high: fromStart(source, 'high'), low: fromStart(source, 'low'), close: fromStart(source, 'close') },
        period,
      ),
    );
  };

export const cachedIndicators: Indicators = {
  sma: closeSeries('sma'),
  ema: closeSeries('ema'),
  rsi: closeSeries('rsi'),
  atr: hlcSeries('atr'),
  adx: hlcSeries('adx'),
  highest: computed.highest,
  lowest: computed.lowest,
};
