import { z } from 'zod';
import { queryRows, type Queryable } from '../../store/db.ts';
import { AuditMode, type AuditEntry } from '../audit/audit-entry.ts';

/**
 * The event bus's events (seed section 12; table `events`, migration
 * 20261204210000_event_bus.sql). Most are the significant rows of the audit trail, typed
 * under the seed's names and published by recordAudit in the same transaction; a run's
 * end is published when the run closes. A listener gets the type, the mode, what it is
 * about (entity) and the audit row to read for everything else.
 */
export const EventType = z.enum([
  'RUN_FINISHED',
  'TRADE_PROPOSAL_READY',
  'TRADE_PROPOSAL_RESOLVED',
  'TRADE_EXECUTED',
  'POSITION_CLOSED',
  'EMERGENCY_HALT_TRIGGERED',
  'TRADING_RESUMED',
  'OPERATIONAL_MODE_CHANGED',
  'RISK_PROFILE_CHANGED',
  'LEVERAGE_STATUS_CHANGED',
  'STRATEGY_PROPOSAL_READY',
  'STRATEGY_ASSIGNED',
  'STRATEGY_DISABLED',
  'OPTIMISATION_FINISHED',
  'RECONCILIATION_DIFFERENCE',
]);
export type EventType = z.infer<typeof EventType>;

/** The audit actions that are events, and the event each one is. */
const fromAudit: Record<string, EventType> = {
  TRADE_PROPOSAL_GENERATED: 'TRADE_PROPOSAL_READY',
  LIVE_FIRST_ORDER_HELD: 'TRADE_PROPOSAL_READY',
  TRADE_PROPOSAL_REVIEWED: 'TRADE_PROPOSAL_RESOLVED',
  PROPOSALS_EXPIRED: 'TRADE_PROPOSAL_RESOLVED',
  PROPOSALS_CANCELLED: 'TRADE_PROPOSAL_RESOLVED',
  TRADE_EXECUTED: 'TRADE_EXECUTED',
  POSITION_CLOSED: 'POSITION_CLOSED',
  POSITION_STOPPED: 'POSITION_CLOSED',
  EMERGENCY_HALT_TRIGGERED: 'EMERGENCY_HALT_TRIGGERED',
  TRADING_HALTED: 'EMERGENCY_HALT_TRIGGERED',
  TRADING_RESUMED: 'TRADING_RESUMED',
  EMERGENCY_HALT_CLEARED: 'TRADING_RESUMED',
  MODE_CHANGE: 'OPERATIONAL_MODE_CHANGED',
  RISK_PROFILE_CHANGED: 'RISK_PROFILE_CHANGED',
  LEVERAGE_ENABLED: 'LEVERAGE_STATUS_CHANGED',
  LEVERAGE_DISABLED: 'LEVERAGE_STATUS_CHANGED',
  STRATEGY_PROPOSED: 'STRATEGY_PROPOSAL_READY',
  STRATEGY_ACTIVATED: 'STRATEGY_ASSIGNED',
  STRATEGY_PROPOSAL_REVIEWED: 'STRATEGY_ASSIGNED',
  STRATEGY_DISABLED: 'STRATEGY_DISABLED',
  OPTIMIZATION_RUN: 'OPTIMISATION_FINISHED',
  RECONCILE_DIFFERENCE: 'RECONCILIATION_DIFFERENCE',
};

export const BusEvent = z.object({
  seq: z.number().int().positive(),
  ts: z.date(),
  mode: AuditMode,
  event_type: EventType,
  payload: z.object({
    /** The audit row that carries the details (absent for a run's end, which the run itself records). */
    audit_seq: z.number().int().positive().optional(),
    status: z.string().optional(),
    entity_type: z.string().nullable().optional(),
    entity_id: z.string().nullable().optional(),
  }),
});
export type BusEvent = z.infer<typeof BusEvent>;

export type NewEvent = Pick<BusEvent, 'mode' | 'event_type' | 'payload'>;

export async function publishEvent(q: Queryable, e: NewEvent): Promise<void> {
  await q.query('insert into events (mode, event_type, payload) values ($1, $2, $3)', [
    e.mode,
    e.event_type,
    e.payload,
  ]);
}

/** Statuses of a change that happened; a refused or declined action, or one still pending, is no event. */
const happened = new Set(['SUCCESS', 'INFO', 'WARNING', 'CRITICAL', 'APPROVED']);
/** Where a proposal waiting for the user, a rejection or a failure is itself the news. */
const alsoHappened: Record<string, string> = {
  TRADE_PROPOSAL_GENERATED: 'PENDING',
  LIVE_FIRST_ORDER_HELD: 'PENDING',
  TRADE_PROPOSAL_REVIEWED: 'REJECTED',
  OPTIMIZATION_RUN: 'FAILURE',
};

/** The event an audit row is, if it is one (a strategy approval assigns it; its rejection is no event). */
export function eventOfAudit(e: z.output<typeof AuditEntry>, auditSeq: number): NewEvent | null {
  const type = fromAudit[e.action_type];
  if (!type || !(happened.has(e.status) || alsoHappened[e.action_type] === e.status)) return null;
  return {
    mode: e.mode,
    event_type: type,
    payload: { audit_seq: auditSeq, status: e.status, entity_type: e.entity_type, entity_id: e.entity_id },
  };
}

/** Events of `modes` after `afterSeq`, oldest first, at most `limit`. */
export function readEvents(
  q: Queryable,
  afterSeq: number,
  modes: readonly BusEvent['mode'][],
  limit = 500,
): Promise<BusEvent[]> {
  return queryRows(
    q,
    BusEvent,
    'select seq, ts, mode, event_type, payload from events where seq > $1 and mode = any($2::text[]) order by seq limit $3',
    [afterSeq, modes, limit],
  );
}

/** The newest event's seq (0 when there is none): where a listener that wants only what comes next starts. */
export async function lastEventSeq(q: Queryable): Promise<number> {
  const [row] = await q.query<{ seq: number }>('select seq from events_head where id = 1');
  return Number(row?.seq ?? 0);
}
