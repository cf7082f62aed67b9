import type { Macro, MacroMetric, MacroTrend } from '../../sdk/macro-schema.ts';
import { macroMetricNames } from '../../sdk/macro-schema.ts';

/**
 * The macro model, pure: which raw metrics each source stores, when a stored point becomes
 * visible, and how levels and trends are derived from the visible points. No I/O, so
 * backtests and live runs compute identical numbers. Documented in `docs/macro.md`.
 *
 * Raw metrics (as stored in `macro_series.metric`, in the source's own terms):
 *   TOTAL        total crypto market cap, USD          coingecko_csv, coingecko_global
 *   BTC.MCAP     Bitcoin market cap, USD               coingecko_csv
 *   USDT.MCAP    Tether market cap, USD                coingecko_csv
 *   TOTAL.FFILL  1 if the source repeated yesterday's TOTAL, else 0   coingecko_csv
 *   BTC.D        BTC dominance, percent                tradingview_csv, coingecko_global
 *   USDT.D       USDT dominance, percent               tradingview_csv, coingecko_global
 *   ETH.D        ETH dominance, percent                coingecko_global
 *   TOTAL3       total market cap excluding BTC and ETH, USD   tradingview_csv
 *
 * Derived levels, each from points of ONE source stamped at the SAME time (never mixed):
 *   total_mcap_usd = TOTAL
 *   btc_d          = 100 × BTC.MCAP / TOTAL   if both are stored, else the stored BTC.D
 *   usdt_d         = 100 × USDT.MCAP / TOTAL  if both are stored, else the stored USDT.D
 *   eth_d          = the stored ETH.D (no source stores ETH.MCAP)
 *   alts_d         = 100 − btc_d − usdt_d                (everything except BTC and USDT)
 *   alts_ex_eth_d  = 100 − btc_d − eth_d − usdt_d        (only when eth_d is known)
 *   total3_usd     = TOTAL3
 * TradingView's OTHERS.D (market cap outside the top 10 coins / TOTAL) needs the top-10
 * list and their caps, which no source here has, so it is not produced at all.
 *
 * Trend over N days for a metric, ending at the newest point (t1, v1):
 *   reference (t0, v0) = the newest point with t0 <= t1 − N days and t0 >= t1 − N days − 1 day
 *                        (null trend when there is none: not enough history, or a hole)
 *   change        = v1 − v0                       (USD, or percentage points for *_d)
 *   change_pct    = 100 × (v1 − v0) / |v0|         (relative change, percent)
 *   slope_per_day = change / ((t1 − t0) / 1 day)
 *   direction     = rising if change_pct > threshold, falling if < −threshold, else flat;
 *                   threshold defaults to 1 (percent, relative) for every metric.
 * Relative change is used for dominance too, so one threshold means the same for USDT.D
 * (~5%) and BTC.D (~50%): USDT.D 4.0 → 4.2 is +5%, BTC.D 50 → 50.2 is +0.4% (flat).
 * Endpoints only: a one-day spike on either end (CoinGecko's BTC and total snapshots are
 * sometimes taken at different moments) moves the result; smooth in a module if needed.
 */

export const DAY_MS = 86_400_000;

export const rawMetrics = {
  total: 'TOTAL',
  btcMcap: 'BTC.MCAP',
  usdtMcap: 'USDT.MCAP',
  totalFfill: 'TOTAL.FFILL',
  btcD: 'BTC.D',
  usdtD: 'USDT.D',
  ethD: 'ETH.D',
  total3: 'TOTAL3',
} as const;

/**
 * Visibility rule: a point stamped `ts` may be used by a decision at `asOf` only when
 * ts + lag <= asOf. Daily rows describe a whole UTC day and count as known once that day
 * has closed (lag 1 day): TradingView's day-D value is D's close; CoinGecko's day-D row is
 * stamped 00:00 of D but is treated the same way (conservative, and one rule for both).
 * A /global snapshot is already public at its `updated_at` (lag 0). Unknown sources get
 * the daily lag: never earlier than is safe.
 */
export const visibilityLagMs: Readonly<Record<string, number>> = {
  coingecko_csv: DAY_MS,
  tradingview_csv: DAY_MS,
  coingecko_global: 0,
};
export const defaultVisibilityLagMs = DAY_MS;

export function lagOf(source: string): number {
  return Object.hasOwn(visibilityLagMs, source) ? visibilityLagMs[source]! : defaultVisibilityLagMs;
}

/** When several sources have a point equally new, the one with the most inputs wins. */
export const sourcePreference = ['coingecko_csv', 'coingecko_global', 'tradingview_csv'];

/** Visible points of one source, per raw metric, ascending by ts (ms). */
export interface RawMacroSeries {
  source: string;
  metrics: Record<string, { ts: number[]; value: number[] }>;
}

export type MacroLevels = Record<MacroMetric, number | null>;

/** Derived levels at every timestamp the source has any point, ascending. */
export interface DerivedSeries {
  ts: number[];
  levels: Record<MacroMetric, (number | null)[]>;
  forwardFilled: (boolean | null)[];
}

export function deriveLevelsAt(raw: Map<string, number>): MacroLevels {
  const get = (m: string) => raw.get(m) ?? null;
  const total = get(rawMetrics.total);
  const share = (mcap: number | null, reported: number | null) =>
    mcap !== null && total !== null && total > 0 ? (100 * mcap) / total : reported;
  const btc = share(get(rawMetrics.btcMcap), get(rawMetrics.btcD));
  const usdt = share(get(rawMetrics.usdtMcap), get(rawMetrics.usdtD));
  const eth = get(rawMetrics.ethD);
  const alts = btc !== null && usdt !== null ? 100 - btc - usdt : null;
  return {
    total_mcap_usd: total,
    btc_d: btc,
    usdt_d: usdt,
    eth_d: eth,
    alts_d: alts,
    alts_ex_eth_d: alts !== null && eth !== null ? alts - eth : null,
    total3_usd: get(rawMetrics.total3),
  };
}

export function deriveSeries(raw: RawMacroSeries): DerivedSeries {
  const byTs = new Map<number, Map<string, number>>();
  for (const [metric, s] of Object.entries(raw.metrics)) {
    s.ts.forEach((t, i) => {
      let row = byTs.get(t);
      if (!row) byTs.set(t, (row = new Map()));
      row.set(metric, s.value[i]!);
    });
  }
  const ts = [...byTs.keys()].sort((a, b) => a - b);
  const levels = Object.fromEntries(
    macroMetricNames.map((m) => [m, [] as (number | null)[]]),
  ) as DerivedSeries['levels'];
  const forwardFilled: (boolean | null)[] = [];
  for (const t of ts) {
    const row = byTs.get(t)!;
    const l = deriveLevelsAt(row);
    for (const m of macroMetricNames) levels[m].push(l[m]);
    const ffill = row.get(rawMetrics.totalFfill);
    forwardFilled.push(ffill === undefined ? null : ffill === 1);
  }
  return { ts, levels, forwardFilled };
}

/** Trend of one derived series over `lookbackDays`, ending at its last element; see the header. */
export function trendOf(
  ts: number[],
  values: (number | null)[],
  lookbackDays: number,
  thresholdPct: number,
): MacroTrend | null {
  const end = ts.length - 1;
  const v1 = values[end];
  if (end < 0 || v1 === null || v1 === undefined) return null;
  const t1 = ts[end]!;
  const latest = t1 - lookbackDays * DAY_MS;
  for (let i = end - 1; i >= 0; i--) {
    if (ts[i]! > latest) continue;
    if (ts[i]! < latest - DAY_MS) return null;
    const v0 = values[i];
    if (v0 === null || v0 === undefined) continue;
    if (v0 === 0) return null;
    const t0 = ts[i]!;
    const change = v1 - v0;
    const changePct = (100 * change) / Math.abs(v0);
    return {
      lookback_days: lookbackDays,
      from: new Date(t0).toISOString(),
      from_value: v0,
      change,
      change_pct: changePct,
      slope_per_day: change / ((t1 - t0) / DAY_MS),
      threshold_pct: thresholdPct,
      direction: changePct > thresholdPct ? 'rising' : changePct < -thresholdPct ? 'falling' : 'flat',
    };
  }
  return null;
}

export interface DeriveMacroOptions {
  /** Trend lookbacks in days; default 7 and 30. */
  lookbacks?: readonly number[];
  /** |change_pct| at or below this is 'flat'; one number for all metrics or per metric. Default 1. */
  flatThresholdPct?: number | Partial<Record<MacroMetric, number>>;
  /** `stale` is set when the newest point is older than this at `asOf`. Default 48 h. */
  staleAfterHours?: number;
}

export const defaultLookbacks = [7, 30] as const;
export const defaultFlatThresholdPct = 1;
export const defaultStaleAfterHours = 48;

/**
 * The only fields of the `macro` value that depend on `asOf` itself rather than on the
 * points seen: age of the newest point `t1` (ms) and whether it is stale. Separate so that
 * macro-timeline.ts can reuse a value derived for an earlier `asOf` with the same points.
 */
export function macroAge(t1: number, asOf: Date, staleAfterHours?: number): { age_hours: number; stale: boolean } {
  const ageHours = Math.max(0, (asOf.getTime() - t1) / 3_600_000);
  return { age_hours: ageHours, stale: ageHours > (staleAfterHours ?? defaultStaleAfterHours) };
}

/** The `macro` context value as of `asOf`, from one source's visible points; null if it has none. */
export function deriveMacro(raw: RawMacroSeries, asOf: Date, options: DeriveMacroOptions = {}): Macro | null {
  const series = deriveSeries(raw);
  const last = series.ts.length - 1;
  if (last < 0) return null;
  const lookbacks = options.lookbacks ?? defaultLookbacks;
  const threshold = (m: MacroMetric) => {
    const t = options.flatThresholdPct;
    return typeof t === 'number' ? t : (t?.[m] ?? defaultFlatThresholdPct);
  };
  const t1 = series.ts[last]!;
  const level = (m: MacroMetric) => series.levels[m][last] ?? null;
  const trends = Object.fromEntries(
    macroMetricNames.map((m) => [
      m,
      Object.fromEntries(lookbacks.map((n) => [`${n}d`, trendOf(series.ts, series.levels[m], n, threshold(m))])),
    ]),
  ) as Macro['trends'];
  return {
    source: raw.source,
    as_of: new Date(t1).toISOString(),
    visible_at: new Date(t1 + lagOf(raw.source)).toISOString(),
    ...macroAge(t1, asOf, options.staleAfterHours),
    total_mcap_usd: level('total_mcap_usd'),
    btc_d: level('btc_d'),
    usdt_d: level('usdt_d'),
    eth_d: level('eth_d'),
    alts_d: level('alts_d'),
    alts_ex_eth_d: level('alts_ex_eth_d'),
    total3_usd: level('total3_usd'),
    total_forward_filled: series.forwardFilled[last] ?? null,
    trends,
  };
}
