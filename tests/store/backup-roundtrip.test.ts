import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBackup, loadBackup } from '../../store/backup/read-backup.ts';
import { writeBackup } from '../../store/backup/write-backup.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { verifyAuditTrail } from '../../trading/audit/audit-verify.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';
import { seedHaltScene } from '../helpers/halt-scene.ts';
import { tableContents } from '../helpers/table-contents.ts';

/**
 * The backup file itself (store/backup/): written from one backend and loaded into the
 * other, every table equal row for row and the audit chain intact; a damaged, cut, wrongly
 * opened or foreign-format file refused before anything is written.
 */

const passphrase = 'correct horse battery staple';
const other = (kind: (typeof backends)[number]) => (kind === 'pglite' ? 'postgres' : 'pglite');

describe.each(backends)('a backup written from %s', (kind) => {
  let source: TestDb;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-backup-'));
    file = path.join(dir, 'a.trbk');
    source = await freshDb(kind);
    await seedHaltScene(source, 'HALT_ONLY', 5);
    for (let i = 0; i < 30; i++)
      await recordAudit(source, {
        mode: 'TEST',
        actor: 'USER',
        action_type: 'NOTE',
        status: 'INFO',
        details: { i, text: 'line\nbreak "quoted" ünïcode', amount: '123456789.123456789' },
      });
  }, 60_000);
  afterAll(async () => {
    await source?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`restores into ${other(kind)} row for row, with the audit chain intact`, async () => {
    const written = await writeBackup(source, file, { passphrase, meta: { test: true } });
    expect(written.manifest).toMatchObject({ kind: 'manifest', source_backend: kind, meta: { test: true } });
    expect(written.manifest.tables['public.audit_trail']).toBeGreaterThanOrEqual(30);
    expect(written.manifest.tables['trading_test.positions']).toBe(1);
    expect(fs.statSync(file).size).toBe(written.bytes);
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect(fs.existsSync(`${file}.partial`)).toBe(false);

    const manifest = await checkBackup(file, passphrase);
    expect(manifest).toEqual(written.manifest);
    const target = await freshDb(other(kind));
    try {
      await loadBackup(target, file, passphrase, manifest);
      expect(await tableContents(target)).toEqual(await tableContents(source));
      const verified = await verifyAuditTrail(target);
      expect(verified).toMatchObject({ ok: true, head: written.manifest.audit_head });
      // Sequences continue after the restored rows: a new audit row chains on.
      await recordAudit(target, { mode: 'TEST', actor: 'SYSTEM', action_type: 'AFTER_RESTORE', status: 'INFO' });
      expect((await verifyAuditTrail(target)).ok).toBe(true);
    } finally {
      await target.dispose();
    }
  }, 120_000);

  it('refuses a wrong passphrase, another format, a damaged or a cut file, before reading any data', async () => {
    if (!fs.existsSync(file)) await writeBackup(source, file, { passphrase });
    const bytes = fs.readFileSync(file);
    const variant = (name: string, b: Buffer) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, b);
      return p;
    };
    await expectTraderError(checkBackup(file, 'wrong'), 'BAD_INPUT', /^The passphrase does not open this backup/);
    const newer = Buffer.from(bytes);
    const at = newer.indexOf('"format":1');
    newer.write('"format":2', at);
    await expectTraderError(
      checkBackup(variant('newer.trbk', newer), passphrase),
      'BAD_INPUT',
      /^This backup has format 2, and this trader reads format 1/,
    );
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(bytes.length / 2)]! ^= 0xff;
    await expectTraderError(
      checkBackup(variant('flipped.trbk', flipped), passphrase),
      'INTEGRITY',
      /^The backup file is damaged \(part \d+ does not match its seal\)/,
    );
    await expectTraderError(
      checkBackup(variant('cut.trbk', bytes.subarray(0, bytes.length - 100)), passphrase),
      'INTEGRITY',
      /^The backup file is damaged \(.*\); nothing was restored/,
    );
    await expectTraderError(
      checkBackup(variant('other.txt', Buffer.from('hello')), passphrase),
      'BAD_INPUT',
      /^This is not a trader backup file/,
    );
  }, 60_000);
});
