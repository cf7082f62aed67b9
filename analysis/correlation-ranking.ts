import type { Queryable } from '../store/db.ts';
import { aggregatePairs, type PairStats } from './correlation-aggregate.ts';
import { type CorrelationRun, latestRun, loadEvents } from './correlation-repo.ts';
import { readCorrelationSettings } from './correlation-settings.ts';

/**
 * The ranked pairs as `trader correlation show` and the dashboard present them, always
 * with the seed's warning: the analysis is informational and never a trade recommendation.
 */

export const correlationWarning =
  'High efficiency often indicates extreme volatility and risk. This data is informational only and NOT a trade recommendation. DYOR.';

export interface CorrelationRanking {
  enabled: boolean;
  exchange: string;
  timeframe: string;
  /** Pairs with at least one stored event (before --top). */
  total_pairs: number;
  pairs: PairStats[];
  latest_run: CorrelationRun | null;
  warning: string;
}

/** The top `top` pairs of the configured market, optionally of one lead coin. */
export async function correlationRanking(q: Queryable, o: { top: number; base?: string }): Promise<CorrelationRanking> {
  const s = await readCorrelationSettings(q);
  const market = { exchange: s.exchange, timeframe: s.timeframe };
  const pairs = aggregatePairs(await loadEvents(q, { ...market, base: o.base }));
  return {
    enabled: s.enable_correlation_analysis,
    ...market,
    total_pairs: pairs.length,
    pairs: pairs.slice(0, o.top),
    latest_run: await latestRun(q, market),
    warning: correlationWarning,
  };
}

/** A ratio as text: two decimals, '-' when undefined. */
export const ratio = (x: number | null) => (x === null ? '-' : x.toFixed(2));

/** The ranked table's columns and cells, shared by the CLI and the dashboard. */
export const rankingHeader = [
  '#',
  'pair',
  'avg efficiency',
  'std-dev (consistency)',
  'hits',
  'events',
  'avg eff. delayed',
  'last event',
];

export function rankingCells(pairs: readonly PairStats[]): string[][] {
  return pairs.map((p, i) => [
    String(i + 1),
    `${p.altcoin} / ${p.base_coin}`,
    ratio(p.avg_efficiency),
    ratio(p.std_efficiency),
    String(p.hits),
    String(p.events),
    ratio(p.avg_delayed_efficiency),
    new Date(p.last_event).toISOString().slice(0, 16).replace('T', ' '),
  ]);
}
