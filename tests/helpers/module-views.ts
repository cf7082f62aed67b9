/**
 * Test setup shared by the module tests: the real context a signal agent sees on sample candles,
 * a runner that validates an agent's signals, and the hand-built macro value the dominance
 * analyzers read. Shared so every test builds its inputs the same way.
 */
import fc from 'fast-check';
import * as breakout from '../../modules/agents/breakout_v1.ts';
import * as trendVolatility from '../../modules/context/trend_volatility_v1.ts';
import { preparedOver } from '../../engine/run/prepared-columns.ts';
import { contextKeys, indicators, type ContextValue, type SeriesColumns } from '../../sdk/index.ts';
import { cgRows, DAY, type CgRow } from '../macro/sample-macro.ts';
import { sampleCandles } from './sample-candles.ts';

/** The SDK handed to modules under test. */
export const sdk = { indicators };

/** The real context module's outputs on these candles, its columns prepared over them as a live run prepares them. */
export function trendContext(candles: ReturnType<typeof sampleCandles>) {
  const p = trendVolatility.manifest.params.parse({});
  return trendVolatility.run({ candles }, p, sdk, preparedOver(trendVolatility.prepare, candles, p)).outputs;
}

/** Candles up to and including `last` (300 of them), with the real context module's outputs. */
export function realView(last: number) {
  const candles = sampleCandles({ from: last - 299, to: last + 1 });
  const ctx = trendContext(candles);
  return { candles, market_state: ctx.market_state!, volatility: ctx.volatility! };
}

/**
 * The real 2024-01-26 10:00 UTC breakout: the candles up to it, their context, and the
 * signals breakout_v1 (defaults) gives there, its columns prepared as a live run prepares them.
 */
export function realBreakout() {
  const candles = sampleCandles({ from: 311, to: 611 });
  const ctx = trendContext(candles);
  const p = breakout.manifest.params.parse({});
  const view = { candles, market_state: ctx.market_state!, volatility: ctx.volatility! };
  const signals = breakout.run(view, p, sdk, preparedOver(breakout.prepare, candles, p)).outputs.signals!;
  return { candles, volatility: ctx.volatility!, signals };
}

type AgentRun = (
  view: never,
  params: never,
  s: typeof sdk,
  prepared: never,
) => { outputs: { signals?: readonly unknown[] }; rationale: string };

/**
 * Runs an agent (with `defaults` unless params are given) and parses every signal against the
 * context schema; an agent with `prepare` gets its columns prepared over the view's candles.
 */
export function signalRunner<R extends AgentRun>(
  run: R,
  defaults: Parameters<R>[1],
  prepare?: (series: SeriesColumns, params: never) => unknown,
) {
  return (view: Parameters<R>[0], p: Parameters<R>[1] = defaults) => {
    const candles = (view as { candles: Parameters<typeof preparedOver>[1] }).candles;
    const prepared = prepare ? preparedOver(prepare, candles, p as never) : undefined;
    const out = run(view as never, p as never, sdk, prepared as never);
    const list = out.outputs.signals ?? [];
    return { list: list.map((s) => contextKeys.signals.schema.parse(s)), rationale: out.rationale };
  };
}

export type Macro = NonNullable<ContextValue<'macro'>>;

/**
 * The macro value a run at `asOf` sees, built by hand from the real CoinGecko CSV rows: the newest
 * row visible (stamped at least one day before asOf), USDT.D = 100 x USDT mcap / total, and 7d/30d
 * trends of USDT.D, BTC.D and TOTAL against the row exactly N days earlier (the sample has no missing day).
 */
export function macroAt(asOf: string): Macro {
  const t = Date.parse(asOf);
  const rows = cgRows.filter((r) => r.ts + DAY <= t);
  const r1 = rows[rows.length - 1]!;
  const byTs = new Map(cgRows.map((r) => [r.ts, r]));
  const metric = {
    usdt_d: (r: CgRow) => (100 * r.usdt) / r.total,
    btc_d: (r: CgRow) => (100 * r.btc) / r.total,
    total_mcap_usd: (r: CgRow) => r.total,
  };
  const trend = (f: (r: CgRow) => number, days: number) => {
    const r0 = byTs.get(r1.ts - days * DAY);
    if (!r0) return null;
    const v0 = f(r0);
    const v1 = f(r1);
    const changePct = (100 * (v1 - v0)) / Math.abs(v0);
    return {
      lookback_days: days,
      from: new Date(r0.ts).toISOString(),
      from_value: v0,
      change: v1 - v0,
      change_pct: changePct,
      slope_per_day: (v1 - v0) / days,
      threshold_pct: 1,
      direction: changePct > 1 ? ('rising' as const) : changePct < -1 ? ('falling' as const) : ('flat' as const),
    };
  };
  const set = (f?: (r: CgRow) => number) => ({ '7d': f ? trend(f, 7) : null, '30d': f ? trend(f, 30) : null });
  const age = (t - r1.ts) / 3_600_000;
  return contextKeys.macro.schema.parse({
    source: 'coingecko_csv',
    as_of: new Date(r1.ts).toISOString(),
    visible_at: new Date(r1.ts + DAY).toISOString(),
    age_hours: age,
    stale: age > 48,
    total_mcap_usd: r1.total,
    btc_d: metric.btc_d(r1),
    usdt_d: metric.usdt_d(r1),
    eth_d: null,
    alts_d: 100 - metric.btc_d(r1) - metric.usdt_d(r1),
    alts_ex_eth_d: null,
    total3_usd: null,
    total_forward_filled: r1.ffill === 1,
    trends: {
      total_mcap_usd: set(metric.total_mcap_usd),
      btc_d: set(metric.btc_d),
      usdt_d: set(metric.usdt_d),
      eth_d: set(),
      alts_d: set((r) => 100 - metric.btc_d(r) - metric.usdt_d(r)),
      alts_ex_eth_d: set(),
      total3_usd: set(),
    },
  }) as Macro;
}

/** Binance BTC/USDT as the instruments table holds it (the registration gates' bench too), with `over` changed. */
export const btcInstrument = (over: Partial<ContextValue<'instrument'>> = {}): ContextValue<'instrument'> => ({
  exchange: 'binance',
  symbol: 'BTC/USDT',
  base: 'BTC',
  quote: 'USDT',
  category: 'major',
  price_precision: 2,
  amount_precision: 5,
  tick_size: 0.01,
  min_qty: 0.00001,
  min_notional: 5,
  ...over,
});

/** A TEST-mode portfolio of `equity` USDT, as the risk modules see it. */
export const portfolio = (equity: number): ContextValue<'portfolio'> => ({
  system_mode: 'TEST',
  equity,
  currency: 'USDT',
  source: 'test',
});

/** qty is (the double nearest to) a whole number of steps. */
export const isMultiple = (qty: number, step: number) =>
  Math.abs(qty / step - Math.round(qty / step)) <= 1e-6 + 1e-12 * (qty / step);

/**
 * The random trade both sizer property tests start from: equity, entry, stop as a fraction of the
 * entry, side and amount precision (null = unknown). Spread first into fc.record, then the
 * sizer-specific fields.
 */
export const sizingCaseArbs = () => ({
  equity: fc.double({ min: 1, max: 1e8, noNaN: true }),
  entry: fc.double({ min: 1e-4, max: 2e5, noNaN: true }),
  stopFrac: fc.double({ min: 1e-4, max: 0.9, noNaN: true }),
  long: fc.boolean(),
  precision: fc.option(fc.integer({ min: 0, max: 8 }), { nil: null }),
});
