import { z } from 'zod';
import { RiskProfileName } from '../state-repo.ts';

export const AuditMode = z.enum(['TEST', 'LIVE', 'SYSTEM']);
export const AuditActor = z.enum(['SYSTEM', 'USER']);
export const AuditStatus = z.enum([
  'SUCCESS',
  'FAILURE',
  'PENDING',
  'INFO',
  'WARNING',
  'CRITICAL',
  'APPROVED',
  'REJECTED',
]);

/** What a writer supplies; seq, time and hashes are set by the database. */
export const AuditEntry = z.object({
  mode: AuditMode,
  actor: AuditActor,
  action_type: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'action_type is UPPER_SNAKE_CASE'),
  status: AuditStatus,
  risk_profile: RiskProfileName.nullable().default(null),
  details: z.record(z.string(), z.unknown()).default({}),
  entity_type: z.string().min(1).nullable().default(null),
  entity_id: z.string().min(1).nullable().default(null),
});
export type AuditEntryInput = z.input<typeof AuditEntry>;

/** A stored row, as read back. */
export const AuditRow = AuditEntry.extend({
  seq: z.number().int().positive(),
  ts: z.date(),
  prev_hash: z.string(),
  hash: z.string(),
  /** The database role that appended the row (null on rows from before it was recorded). */
  db_role: z.string().nullable(),
});
export type AuditRow = z.infer<typeof AuditRow>;
