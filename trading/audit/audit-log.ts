import type { Queryable } from '../../store/db.ts';
import { AuditEntry, type AuditEntryInput } from './audit-entry.ts';

/** Field names whose values are never written to the trail, at any depth. */
const secretField = /pin|secret|password|passphrase|api_?key|token|private/i;

function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secretField.test(k) ? '[redacted]' : scrub(v)]));
  }
  return value;
}

/**
 * The one way anything is written to the audit trail: an INSERT, nothing else. The
 * database stamps seq, time and the chain hash; fields that look like secrets are
 * replaced before they leave the process. Returns the new row's seq.
 */
export async function recordAudit(q: Queryable, input: AuditEntryInput): Promise<number> {
  const e = AuditEntry.parse(input);
  const rows = await q.query<{ seq: number }>(
    `insert into audit_trail (mode, actor, action_type, status, risk_profile, details, entity_type, entity_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning seq`,
    [e.mode, e.actor, e.action_type, e.status, e.risk_profile, scrub(e.details), e.entity_type, e.entity_id],
  );
  return Number(rows[0]!.seq);
}
