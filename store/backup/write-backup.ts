import { createHash } from 'node:crypto';
import { createGzip } from 'node:zlib';
import { writeWholeFile } from '../../core/whole-file.ts';
import type { Db } from '../db.ts';
import { sealStream } from './sealed-stream.ts';
import { backupTables, tableCounts, tableRows } from './table-rows.ts';

/**
 * Writes a consistent logical backup of the whole database to `file`: every table read in
 * one repeatable-read snapshot, as lines (a manifest, then each table's header and its rows,
 * then an end line with the sha256 of everything before it; the three kinds of header are
 * JSON after a `#`, which no row, a JSON object, starts with), gzip-compressed and
 * sealed with the passphrase (sealed-stream.ts). The file appears under its name only when
 * complete: it is written beside it and renamed.
 */

export interface BackupManifest {
  kind: 'manifest';
  /** The newest migration applied: a restore needs a trader that knows it. */
  schema_version: string;
  migrations: number;
  created_at: string;
  source_backend: Db['kind'];
  tables: Record<string, number>;
  audit_head: { seq: number; hash: string } | null;
  /** Extra facts the caller records (the trader version). */
  meta: Record<string, unknown>;
}

export interface BackupResult {
  manifest: BackupManifest;
  /** sha256 of the whole file as written. */
  sha256: string;
  bytes: number;
}

export async function writeBackup(
  db: Db,
  file: string,
  o: { passphrase: string; meta?: Record<string, unknown>; now?: Date },
): Promise<BackupResult> {
  let manifest: BackupManifest | undefined;
  const written = await db.transaction(async (tx) => {
    await tx.query('set transaction isolation level repeatable read, read only');
    const tables = await backupTables(tx);
    const [ledger] = await tx.query<{ version: string; n: number }>(
      'select max(version) as version, count(*)::int8 as n from supabase_migrations.schema_migrations',
    );
    const [head] = await tx.query<{ seq: number; hash: string }>('select seq, hash from audit_chain_head where id = 1');
    manifest = {
      kind: 'manifest',
      schema_version: ledger!.version,
      migrations: Number(ledger!.n),
      created_at: (o.now ?? new Date()).toISOString(),
      source_backend: db.kind,
      tables: await tableCounts(tx, tables),
      audit_head: head ? { seq: Number(head.seq), hash: head.hash } : null,
      meta: o.meta ?? {},
    };
    const body = createHash('sha256');
    const m = manifest;
    async function* lines(): AsyncGenerator<string> {
      const line = (s: string) => (body.update(s), s);
      yield line(`#${JSON.stringify(m)}\n`);
      for (const t of tables) {
        yield line(`#${JSON.stringify({ kind: 'table', name: t.name, rows: m.tables[t.name] })}\n`);
        for await (const rows of tableRows(tx, t)) yield line(`${rows.join('\n')}\n`);
      }
      yield `#${JSON.stringify({ kind: 'end', sha256: body.digest('hex') })}\n`;
    }
    return writeWholeFile(file, lines(), [createGzip({ level: 6 }), sealStream(o.passphrase)]);
  });
  return { manifest: manifest!, ...written };
}
