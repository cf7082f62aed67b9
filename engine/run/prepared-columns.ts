import type { z } from 'zod';
import { quote } from '../../core/quote.ts';
import type { CandleSeries } from '../../sdk/context-schemas.ts';
import type { PreparedView, SeriesColumns } from '../../sdk/prepared.ts';
import type { PlannedSlot } from '../plan/plan-types.ts';
import { LookaheadError, viewSources } from './as-of-view.ts';

/**
 * The engine side of `prepare` (sdk/prepared.ts): running a module's prepare over candles
 * and handing its columns to `run` at the decision bar.
 *
 * A backtest's growing view is prepared once over the whole replay (from the view's first
 * candle, as the indicator cache computes), and each bar only moves the cursor: no work and
 * no allocation per bar. A live run's fixed view, and the per-bar reference a parity test
 * replays against, are prepared over exactly the candles in view. The two agree because the
 * registration gate proved every column causal (causality-gate.ts).
 */

type Series = z.infer<typeof CandleSeries>;
/** The candle columns prepare reads, as any holder of candles has them (frozen or not). */
type CandleColumns = { readonly [K in 'ts' | 'open' | 'high' | 'low' | 'close' | 'volume']: readonly number[] };
export type PrepareFn = (series: SeriesColumns, params: unknown) => unknown;

/** Typed columns of bars [start, end) of a series. */
export function seriesColumns(s: CandleColumns, start = 0, end = s.ts.length): SeriesColumns {
  const length = Math.max(0, end - start);
  // An indexed copy: slice + Float64Array.from would walk a guarded view through its prototype and an iterator.
  const col = (a: readonly number[]) => {
    const out = new Float64Array(length);
    for (let i = 0; i < length; i++) out[i] = a[start + i]!;
    return out;
  };
  return {
    length,
    ts: col(s.ts),
    open: col(s.open),
    high: col(s.high),
    low: col(s.low),
    close: col(s.close),
    volume: col(s.volume),
  };
}

/** What prepare returned, checked: named Float64Array columns, one value per bar. Throws one sentence otherwise. */
export function checkedColumns(out: unknown, length: number): Record<string, Float64Array> {
  if (out === null || typeof out !== 'object' || Array.isArray(out))
    throw new Error('prepare must return an object of named Float64Array columns');
  if (typeof (out as { then?: unknown }).then === 'function')
    throw new Error('prepare returned a Promise; it must be synchronous and pure');
  const cols: Record<string, Float64Array> = Object.create(null) as Record<string, Float64Array>;
  for (const [name, values] of Object.entries(out)) {
    if (!(values instanceof Float64Array))
      throw new Error(`prepared column ${quote(name)} is not a Float64Array (use column() or columnOf() from the SDK)`);
    if (values.length !== length)
      throw new Error(
        `prepared column ${quote(name)} has ${values.length} values for ${length} candles; it needs one per candle`,
      );
    cols[name] = values;
  }
  return cols;
}

/** Runs a module's prepare over `series` and checks its columns. */
export function runPrepare(prepare: PrepareFn, series: SeriesColumns, params: unknown): Record<string, Float64Array> {
  return checkedColumns(prepare(series, params), series.length);
}

let moveTo: (c: ColumnCursor, newest: number) => void;

/** The columns at the decision bar. Private fields: a module can neither move the cursor nor reach the arrays. */
class ColumnCursor implements PreparedView {
  readonly #cols: Record<string, Float64Array>;
  #newest = -1;
  static {
    moveTo = (c, newest) => {
      c.#newest = newest;
    };
  }
  constructor(cols: Record<string, Float64Array>) {
    this.#cols = cols;
  }
  get newest(): number {
    return this.#newest;
  }
  at(name: string, back = 0): number {
    const col = this.#cols[name];
    if (col === undefined)
      throw new Error(
        `read prepared column ${quote(name)}, which prepare did not return (it returned ${Object.keys(this.#cols).join(', ') || 'none'})`,
      );
    if (!(back >= 0))
      throw new LookaheadError(
        `read prepared column ${quote(name)} ${-back} bar(s) after the decision time: modules may not look ahead`,
      );
    return col[this.#newest - back] ?? Number.NaN;
  }
}

/** A cursor over columns, at `newest`. */
function cursorAt(cols: Record<string, Float64Array>, newest: number): PreparedView {
  const c = new ColumnCursor(cols);
  moveTo(c, newest);
  return c;
}

/** `prepare` run over exactly these candles, at their newest bar: what a live run hands `run`. */
export function preparedOver<P>(
  prepare: (series: SeriesColumns, params: P) => unknown,
  candles: CandleColumns,
  params: P,
): PreparedView {
  return cursorAt(runPrepare(prepare as PrepareFn, seriesColumns(candles), params), candles.ts.length - 1);
}

/** One slot's columns over one replay: the series they were prepared on, and the cursor (or prepare's failure). */
interface Once {
  full: Series;
  start: number;
  cursor: ColumnCursor | null;
  error: Error | null;
}
const once = new WeakMap<PlannedSlot, Once>();

/**
 * The prepared view for a slot at the decision bar of `candles`, or undefined when its
 * module has no prepare. `perBar` prepares over the view itself even in a backtest (the
 * reference the parity test compares the once-per-replay path with). Throws what prepare threw.
 */
export function preparedFor(slot: PlannedSlot, candles: Series, perBar = false): PreparedView | undefined {
  const prepare = slot.module.prepare;
  if (!prepare) return undefined;
  const source = viewSources.get(candles.close);
  if (!source?.growing || perBar) return preparedOver(prepare, candles, slot.params);
  let o = once.get(slot);
  if (!o || o.full !== source.full || o.start !== source.start) {
    o = { full: source.full, start: source.start, cursor: null, error: null };
    try {
      o.cursor = new ColumnCursor(runPrepare(prepare, seriesColumns(source.full, source.start), slot.params));
    } catch (e) {
      o.error = e instanceof Error ? e : new Error(String(e));
    }
    once.set(slot, o);
  }
  if (o.error) throw o.error;
  moveTo(o.cursor!, candles.ts.length - 1);
  return o.cursor!;
}
