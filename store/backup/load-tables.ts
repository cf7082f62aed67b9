import { TraderError } from '../../core/errors.ts';
import type { Db, Queryable } from '../db.ts';
import { BACKUP_SCHEMAS, backupTables, resetSequences, tableCounts, type BackupTable } from './table-rows.ts';
import type { BackupManifest } from './write-backup.ts';

/**
 * Loads a whole database's rows into `db` in one transaction, as a restore and `trader db
 * move` do: every backup table emptied, the rows inserted by the caller, sequences moved past
 * them, and the counts and audit head compared with the source's before the commit (a
 * difference rolls everything back). Triggers must not fire meanwhile: the audit rows keep
 * their stored seq and hashes (the chain trigger would stamp new ones, the append-only one
 * refuses the truncate), and rows arrive in table order, not in foreign-key order.
 *
 * A superuser turns triggers off for the transaction with `session_replication_role =
 * replica`. Anyone else gets a permission error there (Supabase's postgres, the owner of a
 * managed database), so the owner of the tables does it by hand, in the same transaction:
 * every enabled user trigger disabled and the foreign keys dropped, then re-enabled and
 * re-added after the load, which checks every row against them.
 */

/** What the loaded tables must hold: the source's row count of every table and its audit chain head. */
export type LoadExpectation = Pick<BackupManifest, 'tables' | 'audit_head'>;

/** How the triggers were kept quiet: as a superuser (`replica`) or as the tables' owner (`owner`). */
export type TriggerSwitch = 'replica' | 'owner';

/** The audit chain's head as stored. */
export async function auditHead(q: Queryable): Promise<BackupManifest['audit_head']> {
  const [head] = await q.query<{ seq: number; hash: string }>('select seq, hash from audit_chain_head where id = 1');
  return head ? { seq: Number(head.seq), hash: head.hash } : null;
}

/** Turns triggers off for the rest of `tx`; the returned function turns them back on (and re-adds the foreign keys). */
async function triggersOff(tx: Queryable): Promise<{ how: TriggerSwitch; restore: () => Promise<void> }> {
  // The permission error is caught on the server, inside the block: an error sent back to the
  // client would end the transaction (postgres.js fails it at the end even when caught).
  await tx.exec(
    `do $$ begin set local session_replication_role = replica; exception when insufficient_privilege then null; end $$`,
  );
  const [mode] = await tx.query<{ role: string }>("select current_setting('session_replication_role') as role");
  // `set local` ends with the transaction.
  if (mode?.role === 'replica') return { how: 'replica', restore: async () => {} };
  const schemas = [[...BACKUP_SCHEMAS]];
  const triggers = await tx.query<{ table_name: string; name: string }>(
    `select format('%I.%I', n.nspname, c.relname) as table_name, format('%I', t.tgname) as name
     from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
     where not t.tgisinternal and t.tgenabled <> 'D' and n.nspname = any($1::text[])`,
    schemas,
  );
  const foreignKeys = await tx.query<{ table_name: string; name: string; definition: string }>(
    `select format('%I.%I', n.nspname, c.relname) as table_name, format('%I', k.conname) as name,
            pg_get_constraintdef(k.oid) as definition
     from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
     where k.contype = 'f' and n.nspname = any($1::text[])`,
    schemas,
  );
  for (const t of triggers) await tx.exec(`alter table ${t.table_name} disable trigger ${t.name}`);
  for (const k of foreignKeys) await tx.exec(`alter table ${k.table_name} drop constraint ${k.name}`);
  return {
    how: 'owner',
    async restore() {
      for (const k of foreignKeys)
        await tx.exec(`alter table ${k.table_name} add constraint ${k.name} ${k.definition}`);
      for (const t of triggers) await tx.exec(`alter table ${t.table_name} enable trigger ${t.name}`);
    },
  };
}

/**
 * Empties every backup table of `db` and fills them with `fill`, checked against `expected`;
 * see the file comment. `says` words the refusal: whose counts (`the backup's manifest`) and
 * what did not happen (`restored`).
 */
export async function loadTables(
  db: Db,
  expected: LoadExpectation,
  fill: (tx: Queryable, tables: ReadonlyMap<string, BackupTable>) => Promise<void>,
  says: { source: string; outcome: string },
): Promise<TriggerSwitch> {
  return db.transaction(async (tx) => {
    const tables = await backupTables(tx);
    const off = await triggersOff(tx);
    await tx.exec(`truncate ${tables.map((t) => t.name).join(', ')}`);
    await fill(tx, new Map(tables.map((t) => [t.name, t])));
    for (const t of tables) await resetSequences(tx, t);
    const counts = await tableCounts(tx, tables);
    const differ = Object.keys({ ...counts, ...expected.tables }).filter(
      (name) => (counts[name] ?? 0) !== (expected.tables[name] ?? 0),
    );
    if (differ.length > 0)
      throw new TraderError(
        'INTEGRITY',
        `After loading, ${differ.join(', ')} do not hold the rows ${says.source} counts; nothing was ${says.outcome}.`,
      );
    const head = await auditHead(tx);
    if (head?.hash !== expected.audit_head?.hash || head?.seq !== expected.audit_head?.seq)
      throw new TraderError(
        'INTEGRITY',
        `After loading, the audit trail's head is not the one ${says.source} records; nothing was ${says.outcome}.`,
      );
    await off.restore();
    return off.how;
  });
}
