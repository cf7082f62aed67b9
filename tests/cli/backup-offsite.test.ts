import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageStandIn, type StorageStandIn } from '../fixtures/supabase-storage-stand-in.ts';
import {
  type CliResult,
  expectCleanError,
  freshTarget,
  ok,
  runTrader,
  type Target,
  tempHome,
  migratedTarget,
} from '../helpers/cli.ts';

/**
 * Offsite copies through the real bin, against the Storage stand-in on 127.0.0.1: set up
 * with the PIN and the service key piped on stdin, `backup --offsite` with the PIN, then
 * unattended with the key file and rotated by the --keep flags, listed, and restored on a
 * new embedded home from the offsite copy alone (the DR case: nothing there but trader);
 * a refused key, an unreachable project and a tampered copy refused in one sentence, and
 * the service key in no output, no table row and no file.
 */

const pin = 'cli offsite pin 1618';
const serviceKey = `sb-service-role-${'4be1d07a'.repeat(6)}`;
const passphrase = 'cli offsite passphrase';
const bucket = 'trader-backups';

describe('trader backup --offsite and restore --from-offsite', () => {
  let t: Target;
  let storage: StorageStandIn;
  let dir: string;
  let passFile: string;
  const results: CliResult[] = [];
  const run = async (input: string | undefined, env: NodeJS.ProcessEnv, ...args: string[]) => {
    const r = await runTrader(args, env, undefined, input);
    results.push(r);
    return r;
  };
  const json = <T>(r: CliResult): T => {
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as T;
  };
  const project = () => ['--url', storage.url, '--bucket', bucket, '--prefix', 'home'];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-offsite-cli-'));
    passFile = path.join(dir, 'pass');
    fs.writeFileSync(passFile, `${passphrase}\n`, { mode: 0o600 });
    storage = await startStorageStandIn({ serviceKey, buckets: [bucket] });
    t = await migratedTarget('postgres');
    expect((await run(`${pin}\n${pin}\n`, t.env, 'secrets', 'init')).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await storage?.close();
    await t?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('copies, rotates, lists and restores on a new home; refuses a bad key, a dead project and a tampered copy', async () => {
    const set = json<{ url: string; bucket: string; prefix: string }>(
      await run(`${pin}\n${serviceKey}\n`, t.env, 'backup', 'offsite', 'set', ...project(), '--json'),
    );
    expect(set).toEqual({ ok: true, url: storage.url, bucket, prefix: 'home' });

    const backup = (input: string | undefined, ...extra: string[]) =>
      run(input, t.env, 'backup', '--offsite', '--to', dir, '--passphrase-file', passFile, '--json', ...extra);
    type Made = { file: string; offsite: { objects: { name: string }[]; removed: string[] } };
    const first = json<Made>(await backup(`${pin}\n`));
    const firstName = path.basename(first.file);
    expect(first.offsite.objects.map((o) => o.name)).toEqual([firstName, `${firstName}.manifest.json`]);
    expect(storage.buckets.get(bucket)!.get(`home/${firstName}`)).toEqual(fs.readFileSync(first.file));

    const keyFile = json<{ file: string }>(await run(`${pin}\n`, t.env, 'backup', 'offsite', 'key-file', '--json'));
    expect(keyFile.file).toBe(path.join(t.env.TRADER_HOME!, 'offsite.key'));
    // Backups are named by the second: the next one needs a second of its own.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // Unattended: no stdin at all, the key file opens the service key; one daily copy kept.
    const second = json<Made>(
      await backup(undefined, '--keep-daily', '1', '--keep-weekly', '0', '--keep-monthly', '0'),
    );
    const secondName = path.basename(second.file);
    expect(second.offsite.removed).toEqual([firstName]);

    const listed = json<{ backups: { name: string; manifest: boolean }[] }>(
      await run(undefined, t.env, 'backup', 'offsite', 'list', '--json'),
    );
    expect(listed.backups.map((b) => [b.name, b.manifest])).toEqual([[secondName, true]]);
    const text = await run(undefined, t.env, 'backup', 'offsite', 'list');
    expect(text.stdout).toMatch(
      new RegExp(
        `^bucket '${bucket}', folder 'home' at http://127\\.0\\.0\\.1:\\d+:\\nname +created +size +manifest\\n${secondName} +2\\d{3}-.*yes\\n$`,
      ),
    );

    // The DR case: a new embedded home, the project named on the command line.
    const fresh = await freshTarget('pglite');
    try {
      const restore = (input: string, name: string) =>
        run(input, fresh.env, 'restore', '--from-offsite', name, ...project(), '--passphrase-file', passFile, '--json');
      const restored = json<{ offsite: { name: string }; audit_rows_checked: number }>(
        await restore(`${serviceKey}\n`, secondName),
      );
      expect(restored.offsite.name).toBe(secondName);
      expect(restored.audit_rows_checked).toBeGreaterThan(0);
      expect((await ok(fresh, 'audit', 'verify')).stdout).toMatch(/^audit trail intact/);

      const stored = storage.buckets.get(bucket)!.get(`home/${secondName}`)!;
      stored[stored.length - 40]! ^= 0x01;
      const newHome = { ...fresh.env, TRADER_HOME: path.join(tempHome(), 'never') };
      expectCleanError(
        await run(
          `${serviceKey}\n`,
          newHome,
          'restore',
          '--from-offsite',
          secondName,
          ...project(),
          '--passphrase-file',
          passFile,
        ),
        5,
        /^trader: The offsite copy of trader-\d{8}T\d{6}Z\.trbk does not match its manifest \(sha256 [0-9a-f]{12}… is not [0-9a-f]{12}…\); it was not used\. Choose another backup\.$/,
      );
      expect(fs.existsSync(newHome.TRADER_HOME)).toBe(false);
    } finally {
      await fresh.dispose();
    }

    expectCleanError(
      await run('a-wrong-service-key\n', t.env, 'backup', 'offsite', 'list', ...project()),
      2,
      /^trader: Supabase Storage at http:\/\/127\.0\.0\.1:\d+ refused the service key while listing the folder \(HTTP 401\); store the project's service_role key again with `trader backup offsite set`\.$/,
    );
    await storage.close();
    expectCleanError(
      await backup(undefined),
      1,
      /^trader: The backup .*\.trbk was written, but not copied offsite: Supabase Storage at http:\/\/127\.0\.0\.1:\d+ cannot be reached while uploading trader-\d{8}T\d{6}Z\.trbk \(ECONNREFUSED\); check the URL with `trader backup offsite set`, or try again later\.$/,
    );

    // The service key in no output, no row of the database and no file under TRADER_HOME.
    for (const r of results) expect(`${r.stdout}${r.stderr}`).not.toContain(serviceKey);
    const rows = await t.sql!`select t::text as row from audit_trail t`;
    expect(rows.map((r) => r.row as string).join('\n')).not.toContain(serviceKey);
    expect(JSON.stringify(await t.sql!`select * from offsite_storage`)).not.toContain(serviceKey);
    for (const e of fs.readdirSync(t.env.TRADER_HOME!, { recursive: true, withFileTypes: true }))
      if (e.isFile()) expect(fs.readFileSync(path.join(e.parentPath, e.name)).includes(serviceKey)).toBe(false);
  }, 300_000);
});
