import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeBackup } from '../../orchestrator/backup/backup.ts';
import { downloadOffsite, listOffsite, uploadBackup } from '../../orchestrator/backup/offsite.ts';
import {
  openOffsiteWithKeyFile,
  openOffsiteWithPin,
  writeOffsiteKeyFile,
} from '../../orchestrator/backup/offsite-key-file.ts';
import {
  type OffsiteTarget,
  readOffsitePlace,
  saveOffsiteSettings,
} from '../../orchestrator/backup/offsite-settings.ts';
import { restoreBackup } from '../../orchestrator/backup/restore.ts';
import { runScheduledTick } from '../../orchestrator/schedule/run-due.ts';
import { addSchedule } from '../../orchestrator/schedule/schedule-admin.ts';
import { defaultRetention } from '../../orchestrator/backup/rotation.ts';
import { findApiKey } from '../../trading/secrets/key-vault.ts';
import { initPin } from '../../trading/secrets/pin.ts';
import { startStorageStandIn, type StorageStandIn } from '../fixtures/supabase-storage-stand-in.ts';
import { openPgliteDb } from '../../store/pglite-db.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { openTemplateCopy, sharedTemplate, templateFile } from '../helpers/templates.ts';
import { expectTraderError, rejection } from '../helpers/errors.ts';
import { tableContents } from '../helpers/table-contents.ts';

/**
 * Offsite copies (orchestrator/backup/offsite*.ts) through the real supabase-js against a
 * Storage stand-in on 127.0.0.1: upload, list, download and restore; rotation of the
 * folder; a refused key, a missing bucket, an unreachable server, a tampered copy; the
 * unattended key file; and the service key nowhere it could leak to.
 */

const pin = 'offsite pin 271828';
const serviceKey = `service-role-${'7c1e9a4f'.repeat(6)}`;
const passphrase = 'offsite passphrase 2026';
const bucketName = 'trader-backups';
const prefix = 'home';
const other = (kind: (typeof backends)[number]) => (kind === 'pglite' ? 'postgres' : 'pglite');

/**
 * An empty database to restore into (restore migrates it itself). On PGlite a copy of the
 * run's initialised, empty data directory: PGlite's initdb in process cost 5.0 s of CPU,
 * copying and opening that directory 1.1 s (measured).
 * Same template key and build as tests/helpers/cli.ts's emptyPgliteData, so the run builds
 * it once for both.
 */
async function emptyDb(kind: (typeof backends)[number]): Promise<TestDb> {
  if (kind === 'postgres') return freshDb(kind, { migrated: false });
  const ref = await sharedTemplate('pglite-empty', async () => {
    const dataDir = templateFile('pglite-empty');
    await (await openPgliteDb({ dataDir })).close();
    return { dataDir };
  });
  return openTemplateCopy(ref);
}

interface AuditRow {
  status: string;
  details: Record<string, unknown>;
}
const audits = (db: TestDb, action: string) =>
  db.query<AuditRow>('select status, details from audit_trail where action_type = $1 order by seq', [action]);

describe.each(backends)('offsite copies in Supabase Storage (%s)', (kind) => {
  let db: TestDb;
  let storage: StorageStandIn;
  let dir: string;
  let target: OffsiteTarget;
  const folder = () => storage.buckets.get(bucketName)!;
  const backupAt = (iso: string) =>
    makeBackup(db, { dir, passphrase, actor: 'USER', now: new Date(iso) }).then((b) => b.file);

  beforeEach(async () => {
    db = await freshDb(kind);
    await initPin(db, pin);
    storage = await startStorageStandIn({ serviceKey, buckets: [bucketName] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-offsite-'));
    await saveOffsiteSettings(db, pin, { url: storage.url, bucket: bucketName, prefix }, serviceKey);
    target = await openOffsiteWithPin(db, pin);
  });
  afterEach(async () => {
    await storage?.close();
    await db?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a backup and its manifest, lists, downloads and restores it onto the other backend', async () => {
    const file = await backupAt('2026-12-05T03:00:00Z');
    const name = path.basename(file);
    const done = await uploadBackup(db, file, { target, retention: defaultRetention, actor: 'USER' });
    expect(done.objects.map((o) => [o.name, o.already_there])).toEqual([
      [name, false],
      [`${name}.manifest.json`, false],
    ]);
    expect(done.removed).toEqual([]);
    expect(folder().get(`${prefix}/${name}`)).toEqual(fs.readFileSync(file));
    expect(folder().get(`${prefix}/${name}.manifest.json`)).toEqual(fs.readFileSync(`${file}.manifest.json`));
    expect((await audits(db, 'BACKUP_OFFSITE')).map((a) => a.status)).toEqual(['PENDING', 'SUCCESS']);

    expect(await listOffsite(target)).toEqual([
      { name, created_at: '2026-12-05T03:00:00.000Z', bytes: fs.statSync(file).size, manifest: true },
    ]);

    // The same backup again: already there with the same content, so nothing is sent and nothing fails.
    const again = await uploadBackup(db, file, { target, retention: defaultRetention, actor: 'SYSTEM' });
    expect(again.objects.every((o) => o.already_there)).toBe(true);

    const into = path.join(dir, 'download');
    const got = await downloadOffsite(target, name, into);
    expect(got.file).toBe(path.join(into, name));
    expect(fs.readFileSync(got.file)).toEqual(fs.readFileSync(file));
    const restored = await emptyDb(other(kind));
    try {
      const r = await restoreBackup(restored, got.file, { passphrase, confirm: async () => false });
      expect(r.manifest.source_backend).toBe(kind);
      const offsiteRows = (rows: Record<string, string[]>) =>
        rows['public.offsite_storage']!.concat(rows['public.api_keys']!.map((k) => JSON.parse(k).name as string));
      expect(offsiteRows(await tableContents(restored))).toEqual(offsiteRows(await tableContents(db)));
    } finally {
      await restored.dispose();
    }
  }, 120_000);

  it('rotates the folder by the plan: removes exactly the backups no rule keeps, with their manifests', async () => {
    const planted = [
      'trader-20261201T030000Z.trbk',
      'trader-20261130T020000Z.trbk',
      'trader-20261130T010000Z.trbk',
      'trader-20261128T030000Z.trbk',
      'trader-20261115T030000Z.trbk',
      'trader-20261101T030000Z.trbk',
      'trader-20261020T030000Z.trbk',
    ];
    for (const n of planted) folder().set(`${prefix}/${n}`, Buffer.from(n));
    // One without its manifest; and objects rotation must never touch.
    for (const n of planted.filter((p) => !p.startsWith('trader-20261115')))
      folder().set(`${prefix}/${n}.manifest.json`, Buffer.from('{}'));
    folder().set(`${prefix}/notes.txt`, Buffer.from('mine'));
    folder().set('trader-20261001T030000Z.trbk', Buffer.from('another folder'));

    const file = await backupAt('2026-12-05T03:00:00Z');
    const done = await uploadBackup(db, file, {
      target,
      retention: { daily: 2, weekly: 2, monthly: 2 },
      actor: 'SYSTEM',
    });
    // Days: 12-05, 12-01. ISO weeks: Nov 30 - Dec 6 (12-05), Nov 23 - 29 (11-28). Months: Dec (12-05), Nov (11-30 02:00).
    expect(done.kept).toEqual([
      'trader-20261205T030000Z.trbk',
      'trader-20261201T030000Z.trbk',
      'trader-20261130T020000Z.trbk',
      'trader-20261128T030000Z.trbk',
    ]);
    expect(done.removed).toEqual([
      'trader-20261130T010000Z.trbk',
      'trader-20261115T030000Z.trbk',
      'trader-20261101T030000Z.trbk',
      'trader-20261020T030000Z.trbk',
    ]);
    expect([...folder().keys()].sort()).toEqual(
      [
        ...done.kept.flatMap((n) => [`${prefix}/${n}`, `${prefix}/${n}.manifest.json`]),
        `${prefix}/notes.txt`,
        'trader-20261001T030000Z.trbk',
      ].sort(),
    );
    const [, success] = await audits(db, 'BACKUP_OFFSITE');
    expect(success).toMatchObject({ status: 'SUCCESS', details: { removed: done.removed, kept: 4 } });
  });

  it('never overwrites another object of the same name, and audits the refusal', async () => {
    const file = await backupAt('2026-12-05T03:00:00Z');
    const key = `${prefix}/${path.basename(file)}`;
    folder().set(key, Buffer.from('something else'));
    await expectTraderError(
      uploadBackup(db, file, { target, retention: defaultRetention, actor: 'USER' }),
      'CONFIG_INVALID',
      /^The offsite folder already holds a different trader-20261205T030000Z\.trbk; nothing was overwritten\. Remove that object, or use another --prefix\.$/,
    );
    expect(folder().get(key)).toEqual(Buffer.from('something else'));
    expect((await audits(db, 'BACKUP_OFFSITE')).map((a) => a.status)).toEqual(['PENDING', 'FAILURE']);
  });

  it('a wrong service key, a missing bucket and an unreachable server: one sentence each, FAILURE audited', async () => {
    const file = await backupAt('2026-12-05T03:00:00Z');
    const upload = (t: OffsiteTarget) =>
      uploadBackup(db, file, { target: t, retention: defaultRetention, actor: 'SYSTEM' });
    const wrongKey = 'not-the-service-key';
    await expectTraderError(
      upload({ ...target, serviceKey: wrongKey }),
      'CONFIG_INVALID',
      /^Supabase Storage at http:\/\/127\.0\.0\.1:\d+ refused the service key while uploading trader-20261205T030000Z\.trbk \(HTTP 401\); store the project's service_role key again with `trader backup offsite set`\.$/,
    );
    await expectTraderError(
      upload({ ...target, bucket: 'no-such-bucket' }),
      'NOT_FOUND',
      /^Supabase Storage at http:\/\/127\.0\.0\.1:\d+ has no bucket 'no-such-bucket'; create it \(private\) in the project's dashboard, or name another with `trader backup offsite set`\.$/,
    );
    await storage.close();
    await expectTraderError(
      upload(target),
      'TRANSIENT',
      /^Supabase Storage at http:\/\/127\.0\.0\.1:\d+ cannot be reached while uploading trader-20261205T030000Z\.trbk \(ECONNREFUSED\); check the URL with `trader backup offsite set`, or try again later\.$/,
    );
    const rows = await audits(db, 'BACKUP_OFFSITE');
    expect(rows.map((a) => a.status)).toEqual(['PENDING', 'FAILURE', 'PENDING', 'FAILURE', 'PENDING', 'FAILURE']);
    expect(rows.filter((r) => r.status === 'FAILURE').map((r) => String(r.details.error).split(':')[0])).toEqual([
      'CONFIG_INVALID',
      'NOT_FOUND',
      'TRANSIENT',
    ]);
    expect(JSON.stringify(rows)).not.toContain(wrongKey);
  });

  it('a host that is no Storage (an HTML 404) is a bad URL; a server error may pass', async () => {
    for (const [status, code, message] of [
      [
        404,
        'CONFIG_INVALID',
        /answered HTTP 404 \('Not Found'\) while listing the folder; check the project URL with `trader backup offsite set`\.$/,
      ],
      [503, 'TRANSIENT', /answered HTTP 503 \('Service Unavailable'\) while listing the folder; try again later\.$/],
    ] as const) {
      const other = http.createServer((_req, res) =>
        res.writeHead(status, { 'content-type': 'text/html' }).end('<html>no</html>'),
      );
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
        await expectTraderError(listOffsite({ ...target, url }), code, message);
      } finally {
        await new Promise((resolve) => other.close(resolve));
      }
    }
  });

  it('refuses a downloaded copy whose sha256 is not its manifest’s, and keeps nothing of it', async () => {
    const file = await backupAt('2026-12-05T03:00:00Z');
    const name = path.basename(file);
    await uploadBackup(db, file, { target, retention: defaultRetention, actor: 'USER' });
    const stored = folder().get(`${prefix}/${name}`)!;
    stored[stored.length - 40]! ^= 0x01;
    const into = path.join(dir, 'download');
    await expectTraderError(
      downloadOffsite(target, name, into),
      'INTEGRITY',
      /^The offsite copy of trader-20261205T030000Z\.trbk does not match its manifest \(sha256 [0-9a-f]{12}… is not [0-9a-f]{12}…\); it was not used\. Choose another backup\.$/,
    );
    expect(fs.existsSync(path.join(into, name))).toBe(false);
    await expectTraderError(
      downloadOffsite(target, 'trader-20200101T000000Z.trbk', into),
      'NOT_FOUND',
      /^There is no offsite object 'trader-20200101T000000Z\.trbk\.manifest\.json' in bucket 'trader-backups'; see `trader backup offsite list`\.$/,
    );
    await expectTraderError(downloadOffsite(target, '../etc/passwd', into), 'BAD_INPUT', /is not a backup's name/);
  });

  it('stores nothing when the key is refused or the bucket is missing, and replaces settings whole', async () => {
    const fresh = await freshDb(kind);
    try {
      await initPin(fresh, pin);
      const settings = { url: storage.url, bucket: bucketName, prefix: '' };
      await expectTraderError(
        saveOffsiteSettings(fresh, pin, settings, 'wrong'),
        'CONFIG_INVALID',
        /refused the service key/,
      );
      await expectTraderError(
        saveOffsiteSettings(fresh, pin, { ...settings, bucket: 'missing' }, serviceKey),
        'NOT_FOUND',
        /has no bucket 'missing'/,
      );
      await expectTraderError(
        saveOffsiteSettings(fresh, 'wrong pin!', settings, serviceKey),
        'BAD_INPUT',
        /^Wrong PIN\.$/,
      );
      expect(await readOffsitePlace(fresh)).toBeUndefined();
      expect(await findApiKey(fresh, 'offsite')).toBeUndefined();
    } finally {
      await fresh.dispose();
    }
    await saveOffsiteSettings(db, pin, { url: storage.url, bucket: bucketName, prefix: 'elsewhere' }, serviceKey);
    expect(await readOffsitePlace(db)).toEqual({ bucket: bucketName, prefix: 'elsewhere' });
    expect(await openOffsiteWithPin(db, pin)).toEqual({ ...target, prefix: 'elsewhere' });
  });

  it('the key file opens the service key without the PIN; a new key makes it stale', async () => {
    const env = { ...process.env, TRADER_HOME: dir, TRADER_OFFSITE_KEY_FILE: '' };
    expect((await rejection(openOffsiteWithKeyFile(db, env))).message).toBe(
      `There is no key file at ${path.join(dir, 'offsite.key')}; write one with \`trader backup offsite key-file\` (or set TRADER_OFFSITE_KEY_FILE).`,
    );
    const file = await writeOffsiteKeyFile(db, pin, env);
    expect(file).toBe(path.join(dir, 'offsite.key'));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const content = fs.readFileSync(file, 'utf8');
    for (const secret of [pin, serviceKey]) expect(content).not.toContain(secret);
    expect(await openOffsiteWithKeyFile(db, env)).toEqual(target);

    // The LIVE key file's format is not the offsite one's.
    fs.writeFileSync(file, content.replace('trader-offsite-key:v1', 'trader-live-key:v1'));
    expect((await rejection(openOffsiteWithKeyFile(db, env))).message).toMatch(
      /is not one `trader backup offsite key-file` wrote; write it again\.$/,
    );
    fs.writeFileSync(file, content);
    await saveOffsiteSettings(db, pin, { url: storage.url, bucket: bucketName, prefix }, serviceKey);
    expect((await rejection(openOffsiteWithKeyFile(db, env))).message).toBe(
      "API key 'offsite' does not decrypt with the key file (the key was replaced or the file altered); write a new one with `trader backup offsite key-file`.",
    );
  });

  it('a scheduled backup with --offsite copies each backup with the key file and rotates the bucket alike', async () => {
    const env = {
      ...process.env,
      TRADER_SYSTEM_MODE: 'TEST',
      TRADER_HOME: dir,
      TRADER_OFFSITE_KEY_FILE: '',
      TRADER_BACKUP_PASSPHRASE: passphrase,
    };
    await writeOffsiteKeyFile(db, pin, env);
    const local = path.join(dir, 'scheduled');
    const s = await addSchedule(
      db,
      {
        cron: '0 3 * * *',
        symbols: [],
        name: 'nightly',
        operation: {
          job: 'backup',
          args: { dir: local, retention: { daily: 1, weekly: 0, monthly: 0 }, passphrase_file: null, offsite: true },
        },
      },
      { env },
    );
    for (const day of ['2026-12-04', '2026-12-05'])
      expect(await runScheduledTick(db, s, new Date(`${day}T03:00:00Z`), { env })).toMatchObject({
        status: 'succeeded',
      });
    const kept = 'trader-20261205T030000Z.trbk';
    expect(fs.readdirSync(local).sort()).toEqual([kept, `${kept}.manifest.json`]);
    expect([...folder().keys()].sort()).toEqual([`${prefix}/${kept}`, `${prefix}/${kept}.manifest.json`]);
    expect((await audits(db, 'BACKUP_OFFSITE')).map((a) => a.status)).toEqual([
      'PENDING',
      'SUCCESS',
      'PENDING',
      'SUCCESS',
    ]);
  });

  it('the service key is in no table, no audit row and no error, in any of these flows', async () => {
    const file = await backupAt('2026-12-05T03:00:00Z');
    await uploadBackup(db, file, { target, retention: defaultRetention, actor: 'USER' });
    const errors = [
      await rejection(
        uploadBackup(db, file, { target: { ...target, bucket: 'nope' }, retention: defaultRetention, actor: 'USER' }),
      ),
      await rejection(downloadOffsite(target, 'trader-20200101T000000Z.trbk', dir)),
    ];
    await storage.close();
    errors.push(await rejection(listOffsite(target)));
    const everything = JSON.stringify({ tables: await tableContents(db), errors: errors.map((e) => e.message) });
    expect(everything).toContain('API_KEY_DECRYPTED');
    expect(everything).not.toContain(serviceKey);
    expect(everything).not.toContain(serviceKey.slice(0, 20));
  });
});
