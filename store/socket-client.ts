import { TraderError } from '../core/errors.ts';
import type { Db } from './db.ts';
import type { Holder } from './lock-file.ts';

/**
 * Opens the embedded database through the socket of the process that holds it. One connection:
 * the holder serves one session at a time anyway, and one connection keeps this command's
 * statements in the order it sends them.
 */
export async function connectThroughSocket(holder: Holder, dataDir: string): Promise<Db> {
  const { connectPostgres } = await import('./postgres-db.ts');
  return connectPostgres(undefined, {
    kind: 'pglite',
    location: `${dataDir} (through the socket of process ${holder.pid}, ${holder.command})`,
    driver: { path: holder.socket, user: 'postgres', database: 'postgres', max: 1, connect_timeout: 10 },
    unreachable: (reason) =>
      new TraderError(
        'LOCKED',
        `The embedded database is held by process ${holder.pid} (${holder.command}, since ${holder.since}), but its socket ${holder.socket} does not answer (${reason}); try again, or stop that process.`,
        holder,
      ),
  });
}
