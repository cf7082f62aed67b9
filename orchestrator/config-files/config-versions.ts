import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { canonical } from '../../core/canonical.ts';
import { queryRows, type Queryable } from '../../store/db.ts';

/** The versions of applied configuration files (table config_versions). */

export const DocKind = z.enum(['pipeline', 'strategy', 'config']);
export type DocKind = z.infer<typeof DocKind>;

export const VersionRow = z.object({
  kind: DocKind,
  name: z.string(),
  version: z.number().int(),
  document: z.unknown(),
  /** `found`: what was stored before an apply, when no version recorded it (first apply, or a change by SQL). */
  source: z.enum(['found', 'applied']),
  applied_at: z.date(),
});
export type VersionRow = z.infer<typeof VersionRow>;

export function listVersions(q: Queryable, kind: DocKind, name: string): Promise<VersionRow[]> {
  return queryRows(q, VersionRow, 'select * from config_versions where kind = $1 and name = $2 order by version desc', [
    kind,
    name,
  ]);
}

export async function getVersion(
  q: Queryable,
  kind: DocKind,
  name: string,
  version: number,
): Promise<VersionRow | undefined> {
  const [row] = await queryRows(
    q,
    VersionRow,
    'select * from config_versions where kind = $1 and name = $2 and version = $3',
    [kind, name, version],
  );
  return row;
}

async function insertVersion(
  q: Queryable,
  kind: DocKind,
  name: string,
  version: number,
  document: unknown,
  source: VersionRow['source'],
): Promise<void> {
  try {
    await q.query(
      'insert into config_versions (kind, name, version, document, source) values ($1, $2, $3, $4::jsonb, $5)',
      [kind, name, version, document, source],
    );
  } catch (e) {
    // Two applies of the same thing at once: the version's primary key lets one win.
    if ((e as { code?: string }).code !== '23505') throw e;
    throw new TraderError(
      'LOCKED',
      `Another apply of ${kind} ${name} ran at the same time; nothing was applied: run the command again.`,
    );
  }
}

/**
 * Records `applied` as the next version. When what it replaces is not the newest recorded
 * version (the first apply, or a change made by SQL since), that is kept first as a `found`
 * version, so no configuration is ever lost to a file. Returns the new version number.
 */
export async function recordVersion(
  q: Queryable,
  kind: DocKind,
  name: string,
  before: unknown,
  applied: unknown,
): Promise<number> {
  const [latest] = await listVersions(q, kind, name);
  let next = (latest?.version ?? 0) + 1;
  if (before !== null && (!latest || canonical(latest.document) !== canonical(before)))
    await insertVersion(q, kind, name, next++, before, 'found');
  await insertVersion(q, kind, name, next, applied, 'applied');
  return next;
}
