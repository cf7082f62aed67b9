import type { Queryable } from '../../store/db.ts';
import { eventOfAudit, publishEvent } from '../events/bus-events.ts';
import { currentUserChannel } from './audit-context.ts';
import { AuditEntry, type AuditEntryInput } from './audit-entry.ts';

/** Field names whose values are never written to the trail, at any depth. */
const secretField = /pin|secret|password|passphrase|api_?key|token|private/i;

function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, secretField.test(k) ? '[redacted]' : scrub(v)]),
    );
  }
  return value;
}

/**
 * The one way anything is written to the audit trail: audit_append(), the only door the
 * mode roles have (they hold no INSERT on the table). The database stamps seq, time, the
 * writing role and the chain hash; fields that look like secrets are replaced before they
 * leave the process. A row that is news (trading/events/bus-events.ts) is published on the
 * event bus in the same transaction. A USER row written inside `asUser` (audit-context.ts)
 * names the adapter and token the user came through. Returns the new row's seq.
 */
export async function recordAudit(q: Queryable, input: AuditEntryInput): Promise<number> {
  const parsed = AuditEntry.parse(input);
  const who = parsed.actor === 'USER' ? currentUserChannel() : undefined;
  const e = who ? { ...parsed, details: { ...who, ...parsed.details } } : parsed;
  const rows = await q.query<{ seq: number }>(
    'select audit_append($1::text, $2::text, $3::text, $4::text, $5::text, $6::jsonb, $7::text, $8::text) as seq',
    [e.mode, e.actor, e.action_type, e.status, e.risk_profile, scrub(e.details), e.entity_type, e.entity_id],
  );
  const seq = Number(rows[0]!.seq);
  const event = eventOfAudit(e, seq);
  if (event) await publishEvent(q, event);
  return seq;
}
