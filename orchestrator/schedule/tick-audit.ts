import type { Queryable } from '../../store/db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import type { AuditEntryInput } from '../../trading/audit/audit-entry.ts';
import { assumeTradingRole, tradingScope } from '../../trading/scope.ts';
import { type ScheduleRow, type TickStatus, triggerRef } from './schedule-row.ts';

const auditStatus: Record<Exclude<TickStatus, 'running'>, AuditEntryInput['status']> = {
  succeeded: 'SUCCESS',
  partial: 'WARNING',
  halted: 'WARNING',
  failed: 'FAILURE',
  error: 'FAILURE',
  crashed: 'FAILURE',
  skipped: 'WARNING',
};

/**
 * One audit row per scheduled tick that ran, failed to run, crashed or was skipped, in
 * the schedule's system mode (SCHEDULED_RUN, or SCHEDULED_TICKS_SKIPPED), as that mode's
 * role. It drops the transaction to that role, so call it last in the transaction.
 */
export async function auditTick(
  tx: Queryable,
  s: ScheduleRow,
  tick: Date,
  end: {
    status: Exclude<TickStatus, 'running'>;
    run_id: string | null;
    study_id?: string | null;
    error: string | null;
    risk_profile: 'low' | 'medium' | 'high' | null;
  },
  extra: Record<string, unknown> = {},
): Promise<number> {
  const scope = tradingScope(s.system_mode);
  await assumeTradingRole(tx, scope);
  return recordAudit(tx, {
    mode: scope.mode,
    actor: 'SYSTEM',
    action_type: end.status === 'skipped' ? 'SCHEDULED_TICKS_SKIPPED' : 'SCHEDULED_RUN',
    status: auditStatus[end.status],
    risk_profile: end.risk_profile,
    entity_type: 'schedule',
    entity_id: String(s.schedule_id),
    details: {
      schedule_id: s.schedule_id,
      name: s.name,
      cron: s.cron,
      timezone: s.timezone,
      tick: tick.toISOString(),
      trigger_ref: triggerRef(s.schedule_id, tick),
      tick_status: end.status,
      run_id: end.run_id,
      ...(s.job === 'optimise' ? { job: s.job, study_id: end.study_id ?? null } : {}),
      pipeline_id: s.pipeline_id,
      strategy_id: s.strategy_id,
      symbols: s.symbols,
      error: end.error,
      ...extra,
    },
  });
}
