import { TraderError } from '../core/errors.ts';
import type { Db } from '../store/db.ts';

/**
 * Workers share one Postgres: the embedded database belongs to one process, so `worker`,
 * `--distributed` and `jobs` refuse there, naming the way out.
 */
export function requirePostgres(db: Pick<Db, 'kind'>, what: string): void {
  if (db.kind !== 'postgres')
    throw new TraderError(
      'CONFIG_INVALID',
      `${what} need Postgres: move this installation with \`trader db move --to <postgres-url>\` first.`,
    );
}
