import { z } from 'zod';
import { type Queryable, queryRows } from '../../store/db.ts';

/**
 * How the backups and exports are doing, from their audit rows (BACKUP_RUN, EXPORT_RUN):
 * the newest success, and a failure newer than it. A failed backup stays loud in
 * `trader status` and on the dashboard until a later one succeeds.
 */

const Outcome = z.object({
  seq: z.coerce.number(),
  status: z.enum(['SUCCESS', 'FAILURE']),
  ts: z.date(),
  file: z.string().nullable(),
  size_bytes: z.coerce.number().nullable(),
  error: z.string().nullable(),
});

export const OperationHealth = z.object({
  last_success: z.object({ at: z.date(), file: z.string().nullable(), size_bytes: z.number().nullable() }).nullable(),
  /** The newest failure when no success came after it. */
  failing: z.object({ at: z.date(), error: z.string() }).nullable(),
});
export type OperationHealth = z.infer<typeof OperationHealth>;

export async function operationHealth(
  q: Queryable,
  action: 'BACKUP_RUN' | 'BACKUP_OFFSITE' | 'EXPORT_RUN',
): Promise<OperationHealth> {
  const rows = await queryRows(
    q,
    Outcome,
    `select distinct on (status) seq, status, ts, details->>'file_path' as file,
            (details->>'size_bytes')::int8 as size_bytes, details->>'error' as error
     from audit_trail where mode = 'SYSTEM' and action_type = $1 and status in ('SUCCESS', 'FAILURE')
     order by status, seq desc`,
    [action],
  );
  const success = rows.find((r) => r.status === 'SUCCESS');
  const failure = rows.find((r) => r.status === 'FAILURE');
  return {
    last_success: success ? { at: success.ts, file: success.file, size_bytes: success.size_bytes } : null,
    failing:
      failure && (!success || failure.seq > success.seq)
        ? { at: failure.ts, error: failure.error ?? 'no reason recorded' }
        : null,
  };
}

export interface BackupHealth {
  backup: OperationHealth;
  offsite: OperationHealth;
  export: OperationHealth;
}

export async function backupHealth(q: Queryable): Promise<BackupHealth> {
  return {
    backup: await operationHealth(q, 'BACKUP_RUN'),
    offsite: await operationHealth(q, 'BACKUP_OFFSITE'),
    export: await operationHealth(q, 'EXPORT_RUN'),
  };
}

/** The loud lines of a failing backup or export, for `trader status`. */
export function backupAlarms(h: BackupHealth): string[] {
  const lines: string[] = [];
  for (const [what, o] of [
    ['BACKUP', h.backup],
    ['OFFSITE COPY', h.offsite],
    ['EXPORT', h.export],
  ] as const)
    if (o.failing)
      lines.push(
        `!!! LAST ${what} FAILED at ${o.failing.at.toISOString()}: ${o.failing.error} !!!`,
        `    last good ${what.toLowerCase()}: ${o.last_success ? o.last_success.at.toISOString() : 'never'}`,
      );
  return lines;
}

/** The plain status line of the backups. */
export function backupLine(h: BackupHealth): string {
  const b = h.backup.last_success;
  if (!b) return 'none yet (`trader backup`; nightly: `trader schedule add "0 3 * * *" --job backup`)';
  const size = b.size_bytes === null ? '' : `, ${Math.round(b.size_bytes / 1024)} KiB`;
  return `${b.at.toISOString()} (${b.file ?? '?'}${size})`;
}
