import { z } from 'zod';
import { queryRows, type Queryable } from '../../store/db.ts';
import type { TradingScope } from '../scope.ts';
import { RiskProfileName } from '../state-repo.ts';

/**
 * Strategy versions (public.strategy_versions: the parameters a study chose, shared by both
 * modes) and which of them each mode trades (<schema>.strategy_status). A strategy has at
 * most one ACTIVE and one PROPOSED version per mode; a newer proposal supersedes a pending
 * one, and activating retires the version that was active.
 */
export const StrategyStatus = z.enum(['ACTIVE', 'PROPOSED', 'REJECTED', 'RETIRED']);
export type StrategyStatus = z.infer<typeof StrategyStatus>;

export const StrategyVersionRow = z.object({
  strategy_id: z.string(),
  version: z.number().int(),
  params: z.record(z.string(), z.record(z.string(), z.unknown())),
  suitable_risk_profiles: z.array(RiskProfileName),
  /** The markets its study found it best on, assigned to it when it becomes ACTIVE; null: none assigned. */
  markets: z.array(z.string()).nullable(),
  study_id: z.string().nullable(),
  report: z.unknown().nullable(),
  created_at: z.date(),
  status: StrategyStatus.nullable(),
  decided_at: z.date().nullable(),
  decided_by: z.string().nullable(),
  note: z.string().nullable(),
});
export type StrategyVersionRow = z.infer<typeof StrategyVersionRow>;

/** Profiles a version suits: its study's target and every profile allowed more risk. */
export function suitableProfiles(target: RiskProfileName): RiskProfileName[] {
  const order = RiskProfileName.options;
  return order.slice(order.indexOf(target));
}

export async function insertVersion(
  tx: Queryable,
  v: Pick<StrategyVersionRow, 'strategy_id' | 'params' | 'suitable_risk_profiles' | 'markets' | 'study_id' | 'report'>,
): Promise<number> {
  const [row] = await tx.query<{ version: number }>(
    `insert into strategy_versions (strategy_id, version, params, suitable_risk_profiles, study_id, report, markets)
     select $1, coalesce(max(version), 0) + 1, $2, $3::text[], $4, $5, $6::text[] from strategy_versions where strategy_id = $1
     returning version`,
    [v.strategy_id, v.params, v.suitable_risk_profiles, v.study_id, v.report, v.markets],
  );
  return row!.version;
}

/**
 * Sets a version's status in this mode; the version it displaces (a pending proposal, the
 * active one) is closed with a note. A version becoming ACTIVE is assigned the markets its
 * study found it best on (returned, for the caller's audit row).
 */
export async function setVersionStatus(
  tx: Queryable,
  scope: TradingScope,
  s: { strategy_id: string; version: number; status: 'ACTIVE' | 'PROPOSED'; by: string; note: string | null },
): Promise<{ assigned: string[] }> {
  const table = scope.table('strategy_status');
  const displaced = s.status === 'ACTIVE' ? 'RETIRED' : 'REJECTED';
  await tx.query(
    `update ${table} set status = $3, decided_at = now(), decided_by = $4, note = $5
     where strategy_id = $1 and status = $2 and version <> $6`,
    [s.strategy_id, s.status, displaced, s.by, `superseded by version ${s.version}`, s.version],
  );
  await tx.query(
    `insert into ${table} (strategy_id, version, status, decided_at, decided_by, note)
     values ($1, $2, $3, case when $3 = 'ACTIVE' then now() end, case when $3 = 'ACTIVE' then $4 end, $5)
     on conflict (strategy_id, version) do update set status = excluded.status, decided_at = now(), decided_by = $4, note = excluded.note`,
    [s.strategy_id, s.version, s.status, s.by, s.note],
  );
  if (s.status !== 'ACTIVE') return { assigned: [] };
  const rows = await tx.query<{ symbol: string }>(
    `insert into ${scope.table('market_strategy')} (symbol, strategy_id, version, assigned_by)
     select unnest(markets), strategy_id, version, $3 from strategy_versions where strategy_id = $1 and version = $2
     on conflict (symbol) do update set strategy_id = excluded.strategy_id, version = excluded.version,
       assigned_at = now(), assigned_by = excluded.assigned_by
     returning symbol`,
    [s.strategy_id, s.version, s.by],
  );
  return { assigned: rows.map((r) => r.symbol).sort() };
}

/** The strategy each market is assigned in this mode (an approved study's choice): it wins over asset_config's. */
export async function marketStrategies(q: Queryable, scope: TradingScope): Promise<Map<string, string>> {
  const rows = await q.query<{ symbol: string; strategy_id: string }>(
    `select symbol, strategy_id from ${scope.table('market_strategy')}`,
  );
  return new Map(rows.map((r) => [r.symbol, r.strategy_id]));
}

/** Versions with this mode's status, newest first; only one strategy's when `strategyId` is given. */
export async function listVersions(
  q: Queryable,
  scope: TradingScope,
  o: { strategyId?: string; status?: StrategyStatus } = {},
): Promise<StrategyVersionRow[]> {
  return queryRows(
    q,
    StrategyVersionRow,
    `select v.strategy_id, v.version, v.params, v.suitable_risk_profiles, v.markets, v.study_id::text, v.report, v.created_at,
       s.status, s.decided_at, s.decided_by, s.note
     from strategy_versions v left join ${scope.table('strategy_status')} s using (strategy_id, version)
     where ($1::text is null or v.strategy_id = $1) and ($2::text is null or s.status = $2)
     order by v.created_at desc, v.strategy_id, v.version desc`,
    [o.strategyId ?? null, o.status ?? null],
  );
}

/** The version of a strategy a mode trades: its parameters layer over the strategy's slots (engine/plan/merge-params.ts). */
export interface ActiveVersion {
  version: number;
  params: Record<string, Record<string, unknown>>;
  suitable_risk_profiles: RiskProfileName[];
}

export async function activeVersions(q: Queryable, scope: TradingScope): Promise<Map<string, ActiveVersion>> {
  const rows = await listVersions(q, scope, { status: 'ACTIVE' });
  return new Map(
    rows.map((r) => [
      r.strategy_id,
      { version: r.version, params: r.params, suitable_risk_profiles: r.suitable_risk_profiles },
    ]),
  );
}
