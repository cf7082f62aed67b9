import { z } from 'zod';
import { queryRows, type Queryable } from '../store/db.ts';
import type { BacktestTrade } from './backtest-types.ts';
import { summariseTrades, type TradeMetrics } from './metrics.ts';

/** How the trades one module version produced or passed performed (the seed's Performance_Ratings). */
export interface ModuleRating extends TradeMetrics {
  module_id: string;
  version: string;
  stage: string;
}

/** The metrics stored per module version, one performance_ratings row each. */
export const ratedMetrics = ['trades', 'win_rate_pct', 'profit_factor', 'expectancy_r', 'avg_rr', 'net_pnl'] as const;

/**
 * Groups the trades by every module that contributed to them (filters that let the
 * symbol through, agents whose signal pointed the trade's way, the confluence that made
 * the idea, the risk module that sized it) and measures each group, so confluence can
 * later weight a source by how its signals actually did.
 */
export function rateModules(trades: readonly BacktestTrade[]): ModuleRating[] {
  const groups = new Map<string, { key: BacktestTrade['contributors'][number]; trades: BacktestTrade[] }>();
  for (const t of trades) {
    for (const c of t.contributors) {
      const id = `${c.module_id}@${c.version}`;
      const g = groups.get(id) ?? { key: c, trades: [] };
      g.trades.push(t);
      groups.set(id, g);
    }
  }
  return [...groups.values()]
    .map((g) => ({
      module_id: g.key.module_id,
      version: g.key.version,
      stage: g.key.stage,
      ...summariseTrades(g.trades),
    }))
    .sort((a, b) => a.module_id.localeCompare(b.module_id) || a.version.localeCompare(b.version));
}

export const LatestRating = z.object({
  module_id: z.string(),
  module_version: z.string(),
  metric_name: z.enum(ratedMetrics),
  value: z.number().nullable(),
  ts: z.date(),
});
export type LatestRating = z.infer<typeof LatestRating>;

/** Each module version's newest stored value of every rated metric (the dashboard's registry page). */
export function latestRatings(q: Queryable): Promise<LatestRating[]> {
  return queryRows(
    q,
    LatestRating,
    `select distinct on (module_id, module_version, metric_name) module_id, module_version, metric_name, value, ts
     from performance_ratings order by module_id, module_version, metric_name, ts desc`,
  );
}
