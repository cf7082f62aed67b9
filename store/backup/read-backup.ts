import { createHash } from 'node:crypto';
import fs from 'node:fs';
import readline from 'node:readline';
import { createGunzip } from 'node:zlib';
import { TraderError } from '../../core/errors.ts';
import type { Db, Queryable } from '../db.ts';
import { openStream } from './sealed-stream.ts';
import { loadTables, type TriggerSwitch } from './load-tables.ts';
import { insertRows, type BackupTable } from './table-rows.ts';
import type { BackupManifest } from './write-backup.ts';

/**
 * Reading a backup back (write-backup.ts wrote it). checkBackup reads the whole file
 * without touching any database: the passphrase, every chunk's seal, the line structure,
 * each table's row count and the end line's sha256. loadBackup then loads it into a
 * database in one transaction (load-tables.ts: triggers off, every table emptied, the rows
 * inserted, sequences moved past them, and the counts and audit head compared with the
 * manifest before the commit: a difference rolls everything back).
 */

const damaged = (what: string) =>
  new TraderError('INTEGRITY', `The backup file is damaged (${what}); nothing was restored. Use another copy.`);

async function* backupLines(file: string, passphrase: string): AsyncGenerator<string> {
  const source = fs.createReadStream(file).pipe(openStream(passphrase));
  const gunzip = createGunzip();
  // Errors of the decryption travel to the reader of the lines.
  source.on('error', (e) => gunzip.destroy(e));
  const lines = readline.createInterface({ input: source.pipe(gunzip), crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } catch (e) {
    if (e instanceof TraderError) throw e;
    throw damaged(`it does not decompress: ${(e as Error).message}`);
  } finally {
    lines.close();
    source.destroy();
  }
}

type Header = { kind: 'table'; name: string; rows: number } | { kind: 'end'; sha256: string };

function parseLine<T>(line: string, what: string): T {
  try {
    return JSON.parse(line) as T;
  } catch {
    throw damaged(`${what} is not readable`);
  }
}

/** Reads the whole file and checks it; returns its manifest. Writes nothing anywhere. */
export async function checkBackup(file: string, passphrase: string): Promise<BackupManifest> {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile())
    throw new TraderError('NOT_FOUND', `${file} is not a backup file (${stat ? 'not a file' : 'it does not exist'}).`);
  const body = createHash('sha256');
  let manifest: BackupManifest | undefined;
  let table: { name: string; expected: number; seen: number } | null = null;
  let ended = false;
  const closeTable = () => {
    if (table && table.seen !== table.expected)
      throw damaged(`table ${table.name} holds ${table.seen} rows where its header says ${table.expected}`);
  };
  for await (const line of backupLines(file, passphrase)) {
    if (ended) throw damaged('it goes on after its end');
    if (!manifest) {
      manifest = line.startsWith('#') ? parseLine<BackupManifest>(line.slice(1), 'its manifest') : undefined;
      if (!manifest) throw damaged('it does not start with its manifest');
      if (manifest.kind !== 'manifest') throw damaged('it does not start with its manifest');
      body.update(`${line}\n`);
      continue;
    }
    if (line.startsWith('#')) {
      const h = parseLine<Header>(line.slice(1), 'a section header');
      if (h.kind === 'end') {
        closeTable();
        if (h.sha256 !== body.digest('hex')) throw damaged('its content does not match its checksum');
        ended = true;
        continue;
      }
      closeTable();
      table = { name: h.name, expected: h.rows, seen: 0 };
      body.update(`${line}\n`);
      continue;
    }
    if (!table) throw damaged('a row comes before any table');
    table.seen++;
    body.update(`${line}\n`);
  }
  if (!manifest || !ended) throw damaged('it is cut short');
  return manifest;
}

async function loadRows(tx: Queryable, file: string, passphrase: string, tables: ReadonlyMap<string, BackupTable>) {
  let table: BackupTable | null = null;
  let batch: string[] = [];
  const flush = async () => {
    if (table && batch.length) await insertRows(tx, table, batch);
    batch = [];
  };
  let first = true;
  for await (const line of backupLines(file, passphrase)) {
    if (first) {
      first = false;
      continue;
    }
    if (line.startsWith('#')) {
      await flush();
      const h = parseLine<Header>(line.slice(1), 'a section header');
      if (h.kind === 'end') break;
      table = tables.get(h.name) ?? null;
      if (!table)
        throw new TraderError(
          'CONFIG_INVALID',
          `The backup holds a table ${h.name} that this database does not have; restore it with the trader version that wrote it.`,
        );
      continue;
    }
    batch.push(line);
    if (batch.length >= 1000) await flush();
  }
  await flush();
}

/** Loads a checked backup into `db`, whose schema is the backup's (see restore), as a superuser or as the tables' owner. */
export async function loadBackup(
  db: Db,
  file: string,
  passphrase: string,
  manifest: BackupManifest,
): Promise<TriggerSwitch> {
  return loadTables(db, manifest, (tx, tables) => loadRows(tx, file, passphrase, tables), {
    source: "the backup's manifest",
    outcome: 'restored',
  });
}
