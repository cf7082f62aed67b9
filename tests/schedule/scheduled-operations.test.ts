/**
 * Backups and exports from the scheduler (`schedule add --job backup|export`): each tick
 * writes its files named by the tick, the folder is rotated to the kept copies (files the
 * user put there are left alone), each run is audited, and a failed backup (no passphrase
 * for the scheduler) fails its tick and is loud in `trader status` until a later one
 * succeeds. Both backends.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupAlarms, backupHealth } from '../../orchestrator/backup/operation-health.ts';
import { runScheduledTick } from '../../orchestrator/schedule/run-due.ts';
import { addSchedule, type ScheduledOperation } from '../../orchestrator/schedule/schedule-admin.ts';
import { checkBackup } from '../../store/backup/read-backup.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';

const passphrase = 'scheduled passphrase 2026';
const env = { ...process.env, TRADER_SYSTEM_MODE: 'TEST', TRADER_BACKUP_PASSPHRASE: undefined };
const keepTwoDays = { daily: 2, weekly: 0, monthly: 0 };
const at = (day: number) => new Date(Date.UTC(2027, 0, day, 3, 0, 0));

describe.each(backends)('scheduled backups and exports on %s', (kind) => {
  let db: TestDb;
  let dir: string;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-ops-'));
    db = await freshDb(kind);
  });
  afterEach(async () => {
    await db?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const add = (operation: ScheduledOperation) =>
    addSchedule(db, { cron: '0 3 * * *', symbols: [], name: operation.job, operation }, { now: at(1), env });

  it('backs up at each tick and keeps the newest of the last two days; a user file stays', async () => {
    const passFile = path.join(dir, 'pass');
    fs.writeFileSync(passFile, `${passphrase}\n`);
    const target = path.join(dir, 'backups');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'notes.txt'), 'mine');
    const s = await add({
      job: 'backup',
      args: { dir: target, retention: keepTwoDays, passphrase_file: passFile, offsite: false },
    });
    for (const day of [1, 2, 3])
      expect(await runScheduledTick(db, s, at(day), { env })).toMatchObject({ outcome: 'ran', status: 'succeeded' });
    expect(fs.readdirSync(target).sort()).toEqual([
      'notes.txt',
      'trader-20270102T030000Z.trbk',
      'trader-20270102T030000Z.trbk.manifest.json',
      'trader-20270103T030000Z.trbk',
      'trader-20270103T030000Z.trbk.manifest.json',
    ]);
    // What is kept opens with the passphrase the scheduler read.
    await checkBackup(path.join(target, 'trader-20270103T030000Z.trbk'), passphrase);
    const health = await backupHealth(db);
    expect(health.backup.failing).toBeNull();
    expect(health.backup.last_success?.file).toBe(path.join(target, 'trader-20270103T030000Z.trbk'));
    expect(backupAlarms(health)).toEqual([]);
  });

  it('a backup the scheduler cannot seal fails its tick, is audited and stays loud until one succeeds', async () => {
    const target = path.join(dir, 'backups');
    const s = await add({
      job: 'backup',
      args: { dir: target, retention: keepTwoDays, passphrase_file: null, offsite: false },
    });
    const failed = await runScheduledTick(db, s, at(1), { env });
    expect(failed).toMatchObject({ outcome: 'ran', status: 'error' });
    expect(failed.outcome === 'ran' && failed.error).toMatch(
      /^CONFIG_INVALID: A scheduled backup needs its passphrase/,
    );
    expect(fs.existsSync(target)).toBe(false);
    const alarms = backupAlarms(await backupHealth(db));
    expect(alarms[0]).toMatch(
      /^!!! LAST BACKUP FAILED at 20\d\d-.*: CONFIG_INVALID: A scheduled backup needs its passphrase/,
    );
    expect(alarms[1]).toBe('    last good backup: never');

    const fixed = { ...env, TRADER_BACKUP_PASSPHRASE: passphrase };
    expect(await runScheduledTick(db, s, at(2), { env: fixed })).toMatchObject({ status: 'succeeded' });
    expect(backupAlarms(await backupHealth(db))).toEqual([]);
    const audits = await db.query<{ status: string; actor: string }>(
      `select status, actor from audit_trail where action_type = 'BACKUP_RUN' order by seq`,
    );
    expect(audits).toEqual([
      { status: 'FAILURE', actor: 'SYSTEM' },
      { status: 'PENDING', actor: 'SYSTEM' },
      { status: 'SUCCESS', actor: 'SYSTEM' },
    ]);
  });

  it('exports each chosen table at each tick, everything up to the tick, and rotates each table on its own', async () => {
    const target = path.join(dir, 'exports');
    const s = await add({
      job: 'export',
      args: { dir: target, kinds: ['trades', 'audit'], format: 'jsonl', retention: keepTwoDays },
    });
    for (const day of [1, 2, 3]) await runScheduledTick(db, s, at(day), { env });
    expect(fs.readdirSync(target).sort()).toEqual([
      'export_audit_20270102T030000Z.jsonl',
      'export_audit_20270103T030000Z.jsonl',
      'export_trades_20270102T030000Z.jsonl',
      'export_trades_20270103T030000Z.jsonl',
    ]);
    // Everything audited before the tick, the previous tick's export included.
    const audit = fs.readFileSync(path.join(target, 'export_audit_20270103T030000Z.jsonl'), 'utf8');
    const rows = audit
      .trimEnd()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { action_type: string; status: string; details: { exported_files?: { file: string }[] } },
      );
    const previous = rows.filter((r) => r.action_type === 'EXPORT_RUN' && r.status === 'SUCCESS').at(-1);
    expect(previous?.details.exported_files?.map((f) => path.basename(f.file))).toEqual([
      'export_trades_20270102T030000Z.jsonl',
      'export_audit_20270102T030000Z.jsonl',
    ]);
    const health = await backupHealth(db);
    expect(health.export.last_success).not.toBeNull();
  });

  it('refuses symbols for a job that acts on the whole database, storing nothing', async () => {
    await expectTraderError(
      addSchedule(
        db,
        {
          cron: '0 3 * * *',
          symbols: ['BTC/USDT'],
          operation: { job: 'backup', args: { dir, retention: keepTwoDays, passphrase_file: null, offsite: false } },
        },
        { env },
      ),
      'BAD_INPUT',
      /--symbols does not apply to --job backup/,
    );
    expect(await db.query('select 1 from schedules')).toEqual([]);
  });
});
