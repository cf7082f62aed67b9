import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBackup, rowTotal } from '../orchestrator/backup/backup.ts';
import { restoreBackup } from '../orchestrator/backup/restore.ts';
import { checkBackup } from '../store/backup/read-backup.ts';
import type { Db } from '../store/db.ts';
import { type Row, fmt } from './stats.ts';

/**
 * Figure 15: `trader backup` and `trader restore` of a database holding a million candles
 * (the one figure 4 filled): the time to write the sealed file and its size, and the time
 * to check it whole and restore it into a fresh database of the same backend, whose
 * candle count is then checked. One run each: a million rows take seconds.
 */

const passphrase = 'bench passphrase, not a secret';

export async function backupRows(source: Db, target: Db, label: string): Promise<Row[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-bench-backup-'));
  try {
    const t0 = performance.now();
    const made = await makeBackup(source, { dir, passphrase, actor: 'SYSTEM' });
    const backupMs = performance.now() - t0;
    const t1 = performance.now();
    const checked = await checkBackup(made.file, passphrase);
    await restoreBackup(target, made.file, { passphrase, confirm: async () => false, checked });
    const restoreMs = performance.now() - t1;
    const [row] = await target.query<{ n: number }>('select count(*)::int8 as n from candles');
    const candles = made.manifest.tables['public.candles'] ?? 0;
    if (Number(row!.n) !== candles) throw new Error(`restore bench: ${row!.n} candles restored, ${candles} backed up`);
    const rows = rowTotal(made.manifest);
    const mib = made.bytes / 1024 / 1024;
    return [
      {
        figure: `15. backup, ${fmt(candles / 1e6, 1)}M candles`,
        backend: label,
        median: `${fmt(backupMs / 1000, 1)} s`,
        range: '-',
        reps: '1 run',
        notes: `${fmt(mib, 1)} MiB sealed file for ${rows} rows (${fmt(made.bytes / rows, 1)} bytes/row, gzip + AES-256-GCM); ${fmt(rows / (backupMs / 1000), 0)} rows/s`,
      },
      {
        figure: `15. restore, ${fmt(candles / 1e6, 1)}M candles`,
        backend: label,
        median: `${fmt(restoreMs / 1000, 1)} s`,
        range: '-',
        reps: '1 run',
        notes: `check the whole file, then load into a fresh migrated database, verify counts and the audit chain; ${fmt(rows / (restoreMs / 1000), 0)} rows/s; candle count checked`,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
