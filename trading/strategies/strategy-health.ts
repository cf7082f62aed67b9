import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { queryRows, type Queryable } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { TradingScope } from '../scope.ts';
import type { RiskProfileName } from '../state-repo.ts';

/**
 * A strategy whose modules keep failing stops trading by itself: after
 * STRATEGY_FAILURE_LIMIT runs in a row in which one of its modules threw or broke its
 * contract, it is disabled in this system mode, audited STRATEGY_DISABLED (CRITICAL) and
 * shown loud by `trader status`; the planner then refuses it, naming `trader strategy
 * enable`. A run without a failure resets the count.
 */
export const STRATEGY_FAILURE_LIMIT = 5;

export const StrategyHealth = z.object({
  strategy_id: z.string(),
  consecutive_failures: z.number().int(),
  last_failure: z.string().nullable(),
  last_failure_at: z.date().nullable(),
  disabled_at: z.date().nullable(),
  disabled_reason: z.string().nullable(),
});
export type StrategyHealth = z.infer<typeof StrategyHealth>;

export async function listStrategyHealth(q: Queryable, scope: TradingScope): Promise<StrategyHealth[]> {
  return queryRows(q, StrategyHealth, `select * from ${scope.table('strategy_health')} order by strategy_id`);
}

/** Counts one run of a strategy: `failure` is the first failing module's sentence, null when none failed. */
export async function recordStrategyRun(
  tx: Queryable,
  scope: TradingScope,
  o: { strategyId: string; failure: string | null; riskProfile: RiskProfileName; runId: string },
): Promise<StrategyHealth> {
  const [row] = await queryRows(
    tx,
    StrategyHealth,
    `insert into ${scope.table('strategy_health')} as h (strategy_id, consecutive_failures, last_failure, last_failure_at)
     values ($1, case when $2::text is null then 0 else 1 end, $2, case when $2::text is null then null else now() end)
     on conflict (strategy_id) do update set
       consecutive_failures = case when $2::text is null then 0 else h.consecutive_failures + 1 end,
       last_failure = coalesce($2, h.last_failure),
       last_failure_at = case when $2::text is null then h.last_failure_at else now() end
     returning *`,
    [o.strategyId, o.failure],
  );
  if (row!.consecutive_failures < STRATEGY_FAILURE_LIMIT || row!.disabled_at) return row!;
  const reason = `${row!.consecutive_failures} runs in a row with a failing module (last: ${o.failure})`;
  const [disabled] = await queryRows(
    tx,
    StrategyHealth,
    `update ${scope.table('strategy_health')} set disabled_at = now(), disabled_reason = $2 where strategy_id = $1 returning *`,
    [o.strategyId, reason],
  );
  await recordAudit(tx, {
    mode: scope.mode,
    actor: 'SYSTEM',
    action_type: 'STRATEGY_DISABLED',
    status: 'CRITICAL',
    risk_profile: o.riskProfile,
    details: { strategy_id: o.strategyId, reason, run_id: o.runId },
    entity_type: 'strategy',
    entity_id: o.strategyId,
  });
  return disabled!;
}

/** `trader strategy enable`: the user switches a disabled strategy back on, its count reset. */
export async function enableStrategy(
  tx: Queryable,
  scope: TradingScope,
  strategyId: string,
  riskProfile: RiskProfileName,
): Promise<void> {
  const rows = await tx.query(
    `update ${scope.table('strategy_health')} set disabled_at = null, disabled_reason = null, consecutive_failures = 0
     where strategy_id = $1 and disabled_at is not null returning strategy_id`,
    [strategyId],
  );
  if (rows.length === 0)
    throw new TraderError('BAD_INPUT', `Strategy ${strategyId} is not disabled in ${scope.mode}; nothing to enable.`);
  await recordAudit(tx, {
    mode: scope.mode,
    actor: 'USER',
    action_type: 'STRATEGY_ENABLED',
    status: 'SUCCESS',
    risk_profile: riskProfile,
    details: { strategy_id: strategyId },
    entity_type: 'strategy',
    entity_id: strategyId,
  });
}
