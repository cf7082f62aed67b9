import type { z } from 'zod';
import type { CandleSeries } from '../../sdk/context-schemas.ts';
import type { Indicators, Values } from '../../sdk/indicators.ts';
import type { PreparedView } from '../../sdk/prepared.ts';
import { cachedIndicators } from '../run/indicator-cache.ts';

/**
 * What a module reads, recorded while it is gated (never in a run: a Proxy costs ~200 ns
 * a read). Two things the warm-up needs that its outputs may hide (a filter's allow/block
 * is the same on 25 bars and on 3,000 at most bars, even when it needs 31):
 * - how far back it reads: every index read of a candle column, and of an indicator
 *   array mapped back to the oldest candle the value depends on (SMA(p) at bar j: bars
 *   j-p+1..j; the recursive EMA, RSI, ATR, ADX: every bar before j). A module that reads
 *   the last D bars only is reproduced by D bars of history, and needs at least D;
 * - the indicator values it reads, by distance from the newest bar: a recursive
 *   indicator seeded on a shorter history converges slowly, and until these values equal
 *   the full history's, the module has not warmed up, whatever it outputs.
 */
export class ReadLog {
  /** The oldest candle index read so far (Infinity: none). */
  oldest = Number.POSITIVE_INFINITY;
  /** Indicator reads in order, flat: bars back from the newest, value, bars back, value... */
  readonly indicatorValues: number[] = [];
  /** Bars in the view the module was given. */
  constructor(readonly n: number) {}

  record(index: number): void {
    if (index < this.oldest) this.oldest = index;
  }

  recordIndicator(index: number, value: number): void {
    this.indicatorValues.push(this.n - 1 - index, value);
  }

  /** Bars back from the newest that the module read; null when it read the very first (all of them). */
  depth(): number | null {
    if (this.oldest === Number.POSITIVE_INFINITY) return 0;
    return this.oldest <= 0 ? null : this.n - this.oldest;
  }
}

/** A watched array: its raw values and the oldest candle its value at index j depends on. */
interface Source {
  raw: readonly number[];
  dependsOn: (j: number) => number;
}

const sources = new WeakMap<object, Source>();
const isIndex = (key: string | symbol): key is string => typeof key === 'string' && /^\d+$/.test(key);

function watched(raw: readonly number[], log: ReadLog, dependsOn: (j: number) => number, indicator: boolean): number[] {
  const proxy = new Proxy(raw as number[], {
    get(target, key) {
      if (isIndex(key) && Number(key) < target.length) {
        const j = Number(key);
        log.record(dependsOn(j));
        if (indicator) log.recordIndicator(j, target[j]!);
      }
      // The target as receiver: the look-ahead guard on its prototype names the column it guards.
      return Reflect.get(target, key);
    },
  });
  sources.set(proxy, { raw, dependsOn });
  return proxy;
}

type Series = z.infer<typeof CandleSeries>;
const columns = ['ts', 'open', 'high', 'low', 'close', 'volume'] as const;

/** The candles with every column watched; values, guards and freezing as the original. */
export function watchedCandles(candles: Series, log: ReadLog): Series {
  const cols = Object.fromEntries(columns.map((c) => [c, watched(candles[c], log, (j) => j, false)]));
  return Object.freeze({ ...candles, ...cols }) as Series;
}

const raw = (values: Values) => sources.get(values)?.raw ?? values;

/**
 * The SDK's indicators for a module under watch: the same values (computed on the raw
 * columns, so the run's indicator cache is used), handed out watched. `window` is how many
 * bars one value depends on, null for the recursive indicators.
 */
export function watchedIndicators(log: ReadLog): Indicators {
  const wrap = (out: number[], input: Values, window: number | null): number[] => {
    const source = sources.get(input);
    if (!source) return out; // the module's own array: its reads of the candles were recorded as it built it
    return watched(out, log, (j) => source.dependsOn(window === null ? 0 : Math.max(0, j - window + 1)), true);
  };
  const series =
    (name: 'sma' | 'ema' | 'rsi', window: (period: number) => number | null) => (values: Values, period: number) =>
      wrap(cachedIndicators[name](raw(values), period), values, window(period));
  const hlc = (name: 'atr' | 'adx') => (c: Parameters<Indicators['atr']>[0], period: number) =>
    wrap(cachedIndicators[name]({ high: raw(c.high), low: raw(c.low), close: raw(c.close) }, period), c.close, null);
  return {
    sma: series('sma', (p) => p),
    ema: series('ema', () => null),
    rsi: series('rsi', () => null),
    atr: hlc('atr'),
    adx: hlc('adx'),
    // These read their input directly, so a watched input records its own reads.
    highest: cachedIndicators.highest,
    lowest: cachedIndicators.lowest,
  };
}

/**
 * A module's prepared columns under watch: each value read is recorded like a recursive SDK
 * indicator's (it may rest on every bar before it, so the module reads from the first bar,
 * and the values must have converged for the warm-up). Conservative: a longer warm-up only
 * makes a live run load more history.
 */
export function watchedPrepared(prepared: PreparedView, log: ReadLog): PreparedView {
  return {
    get newest() {
      return prepared.newest;
    },
    at(name, back = 0) {
      const value = prepared.at(name, back);
      const j = prepared.newest - back;
      if (Number.isInteger(j) && j >= 0) {
        log.record(0);
        log.recordIndicator(j, value);
      }
      return value;
    },
  };
}
