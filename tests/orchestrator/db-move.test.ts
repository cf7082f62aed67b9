import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moveDatabase } from '../../orchestrator/backup/db-move.ts';
import { assertServerVersion, targetUrl } from '../../orchestrator/backup/move-target.ts';
import { checkBackup, loadBackup } from '../../store/backup/read-backup.ts';
import { writeBackup } from '../../store/backup/write-backup.ts';
import type { Db } from '../../store/db.ts';
import { migrate } from '../../store/migrate.ts';
import { openDb } from '../../store/open.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { verifyAuditTrail } from '../../trading/audit/audit-verify.ts';
import { adminUrl, databaseUrl, dropDatabase, dropRoles, freshDb, type TestDb } from '../helpers/db.ts';
import { expectTraderError, rejection } from '../helpers/errors.ts';
import { seedHaltScene } from '../helpers/halt-scene.ts';
import { withoutTheMove } from '../helpers/moved-contents.ts';
import { tableContents } from '../helpers/table-contents.ts';
import { scratchCopyDir } from '../helpers/templates.ts';

/**
 * `trader db move` as a use case: an embedded source with paper trading and an audit trail
 * moved onto a Postgres database, as a superuser and as the non-superuser owner of the
 * database (Supabase's postgres), every table equal row for row, the chain verified and the
 * login roles granted; every refusal before anything is written; the URL's password nowhere.
 */

const password = 'pw-Never-Shown-7c1e';
const tag = randomBytes(4).toString('hex');
const madeRoles: string[] = [];
const madeDatabases: string[] = [];

const admin = () => postgres(adminUrl, { onnotice: () => {}, max: 1 });
async function asAdmin(...statements: string[]): Promise<void> {
  const a = admin();
  try {
    for (const s of statements) await a.unsafe(s);
  } finally {
    await a.end();
  }
}

/** The URL of a database on the local server, as `user`, with the password (trust auth ignores it). */
function urlOf(name: string, user = 'postgres'): string {
  const url = new URL(databaseUrl(name));
  url.username = user;
  url.password = password;
  return url.toString();
}

/** An empty database; with `owner`, a new role that is no superuser owns it (and may create roles unless `createrole: false`). */
async function emptyDatabase(
  o: { owner?: boolean; createrole?: boolean } = {},
): Promise<{ name: string; url: string }> {
  const name = `trader_t_${randomBytes(6).toString('hex')}`;
  madeDatabases.push(name);
  if (!o.owner) {
    await asAdmin(`create database ${name}`);
    return { name, url: urlOf(name) };
  }
  const owner = `trader_m_${randomBytes(4).toString('hex')}_owner`;
  madeRoles.push(owner);
  await asAdmin(
    `create role ${owner} login nosuperuser ${(o.createrole ?? true) ? 'createrole' : ''}`,
    `create database ${name} owner ${owner}`,
  );
  return { name, url: urlOf(name, owner) };
}

const logins = () => {
  const id = randomBytes(3).toString('hex');
  const names = { TEST: `trader_m_${tag}_${id}_test`, LIVE: `trader_m_${tag}_${id}_live` };
  madeRoles.push(names.TEST, names.LIVE);
  return names;
};

async function withDbAt<T>(url: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openPostgresDb(url);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Tables and schemas a database holds outside Postgres' own: none means nothing was written. */
const userObjects = (url: string) =>
  withDbAt(url, (db) =>
    db.query<{ name: string }>(
      `select nspname as name from pg_namespace where nspname not like 'pg\\_%' and nspname not in ('information_schema', 'public')
       union all select format('%I.%I', schemaname, tablename) from pg_tables where schemaname not in ('pg_catalog', 'information_schema')`,
    ),
  );

/** User triggers with their state and foreign keys with their definitions: what the owner's load switches off and back on. */
const guards = (db: Db) =>
  db.query<{ what: string }>(
    `select format('trigger %s.%s %s', c.relname, t.tgname, t.tgenabled) as what
       from pg_trigger t join pg_class c on c.oid = t.tgrelid where not t.tgisinternal
     union all
     select format('key %s.%s %s', c.relname, k.conname, pg_get_constraintdef(k.oid))
       from pg_constraint k join pg_class c on c.oid = k.conrelid where k.contype = 'f'
     order by 1`,
  );

describe('trader db move (embedded source, postgres target)', () => {
  let source: TestDb;
  let headSeq: number;
  beforeAll(async () => {
    source = await freshDb('pglite');
    await seedHaltScene(source, 'HALT_ONLY', 5);
    for (let i = 0; i < 25; i++)
      await recordAudit(source, {
        mode: i % 2 ? 'TEST' : 'SYSTEM',
        actor: 'USER',
        action_type: 'NOTE',
        status: 'INFO',
        details: { i, text: 'line\nbreak "quoted" ünïcode', amount: '123456789.123456789' },
      });
    headSeq = (await verifyAuditTrail(source)).head!.seq;
  }, 120_000);
  afterAll(async () => {
    await source?.dispose();
    for (const name of madeDatabases) await dropDatabase(name);
    await dropRoles(madeRoles);
  });

  const move = (to: string, names = logins(), confirm = async (_q: string) => true) =>
    moveDatabase(source, { to, logins: names, confirm });

  it('moves everything onto a new database as a superuser: row for row, chain verified, roles granted, audited on both sides without the password', async () => {
    const before = await tableContents(source);
    const target = await emptyDatabase();
    const names = logins();
    let asked = '';
    const done = await move(target.url, names, async (q) => ((asked = q), true));

    const rows = Object.values(before).reduce((a, r) => a + r.length, 0);
    expect(asked).toMatch(new RegExp(`^Move ${rows} rows in ${Object.keys(before).length} tables from .* to `));
    expect(done).toMatchObject({ triggers: 'replica', rows, audit_head: { seq: headSeq } });
    const after = await withDbAt(target.url, tableContents);
    expect(withoutTheMove(after)).toEqual(withoutTheMove(before));
    const verified = await withDbAt(target.url, (db) => verifyAuditTrail(db));
    expect(verified).toMatchObject({ ok: true, rows_checked: headSeq + 2, head: { seq: headSeq + 2 } });

    // The same DB_MOVED row on both sides: from the embedded directory to the URL without its password.
    const movedRow = (c: Record<string, string[]>) => c['public.audit_trail']!.filter((r) => r.includes('"DB_MOVED"'));
    const sourceAfter = await tableContents(source);
    for (const r of [...movedRow(after), ...movedRow(sourceAfter)])
      expect(JSON.parse(r)).toMatchObject({
        mode: 'SYSTEM',
        status: 'SUCCESS',
        details: { from: source.dataDir, to: target.url.replace(`:${password}@`, ':***@'), rows },
      });
    expect(movedRow(after)).toHaveLength(1);
    expect(movedRow(sourceAfter)).toHaveLength(1);
    expect(withoutTheMove(sourceAfter)).toEqual(withoutTheMove(before));
    for (const text of [JSON.stringify(done), JSON.stringify(after), JSON.stringify(sourceAfter), asked])
      expect(text).not.toContain(password);

    // The login roles: each a member of its own mode's role only, allowed to connect.
    const a = admin();
    try {
      const reach = await a.unsafe<{ member: string; of: string; connect: boolean }[]>(
        `select m.rolname as member, g.rolname as of, has_database_privilege(m.rolname, $1, 'CONNECT') as connect
           from pg_auth_members x join pg_roles m on m.oid = x.member join pg_roles g on g.oid = x.roleid
          where m.rolname = any($2::text[]) order by 1`,
        [target.name, [names.TEST, names.LIVE]],
      );
      expect(reach).toEqual([
        { member: names.LIVE, of: 'trader_live', connect: true },
        { member: names.TEST, of: 'trader_test', connect: true },
      ]);
    } finally {
      await a.end();
    }
    expect(done.roles.map((r) => [r.name, r.outcome, r.credential])).toEqual([
      [names.TEST, 'created', 'generated'],
      [names.LIVE, 'created', 'generated'],
    ]);
  }, 120_000);

  it("moves as the target's owner who is no superuser (Supabase's postgres): triggers and foreign keys back as migrated, and a restore loads the same way", async () => {
    const before = await tableContents(source);
    const target = await emptyDatabase({ owner: true });
    const done = await move(target.url);
    expect(done.triggers).toBe('owner');
    await withDbAt(target.url, async (db) => {
      expect(withoutTheMove(await tableContents(db))).toEqual(withoutTheMove(before));
      expect((await verifyAuditTrail(db)).ok).toBe(true);
      // The append-only trigger guards the trail again, and foreign keys hold.
      await expect(db.query("update audit_trail set status = 'FAILURE' where seq = 1")).rejects.toThrow(/append-only/);
      await expect(
        db.query(`insert into trading_test.trades (position_id, ts, exchange, symbol, side, kind, qty, price, fee, fee_asset, cash_delta)
                  values (999999, now(), 'binance', 'BTC/USDT', 'buy', 'entry', 1, 1, 0, 'USDT', -1)`),
      ).rejects.toThrow(/foreign key/);
    });
    const reference = await freshDb('postgres');
    try {
      const migrated = await guards(reference);
      expect(migrated.length).toBeGreaterThan(20);
      expect(await withDbAt(target.url, guards)).toEqual(migrated);
    } finally {
      await reference.dispose();
    }

    // restore's load (store/backup/read-backup.ts) takes the same path into an owner's database.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-move-'));
    try {
      const file = path.join(dir, 'a.trbk');
      const passphrase = 'a passphrase for the owner test';
      await writeBackup(source, file, { passphrase });
      const manifest = await checkBackup(file, passphrase);
      const restored = await emptyDatabase({ owner: true });
      await withDbAt(restored.url, async (db) => {
        await migrate(db);
        expect(await loadBackup(db, file, passphrase, manifest)).toBe('owner');
        expect(await tableContents(db)).toEqual(await tableContents(source));
        expect((await verifyAuditTrail(db)).ok).toBe(true);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('refuses, writing nothing anywhere and never showing the password: a bad URL, no server, the same database, a target in use, a user who may not create roles, no confirmation', async () => {
    const sourceBefore = await tableContents(source);

    expect(() => targetUrl(`mysql://u:${password}@127.0.0.1/db`)).toThrow(
      /^--to must be a postgres:\/\/ URL like postgres:\/\/user@host:5432\/database, not 'mysql:\/\/u:\*\*\*@127\.0\.0\.1\/db'\.$/,
    );
    expect(() => targetUrl(`postgres://u:${password}@[::1`)).toThrow(/^--to is not a URL; give one like /);
    expect(() => targetUrl('/var/run/postgresql')).toThrow(/^--to is not a URL/);

    const unreachable = await rejection(move(`postgres://postgres:${password}@127.0.0.1:1/nowhere`));
    expect(unreachable.code).toBe('TRANSIENT');
    expect(unreachable.message).toMatch(
      /^Cannot reach the target database postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/nowhere \(/,
    );
    expect(unreachable.message).not.toContain(password);

    const empty = await emptyDatabase();
    await expectTraderError(
      move(empty.url, logins(), async () => false),
      'BAD_INPUT',
      /^You did not confirm; nothing was moved\.$/,
    );
    const noRoles = await emptyDatabase({ owner: true, createrole: false });
    await expectTraderError(move(noRoles.url), 'CONFIG_INVALID', /may not create roles; connect as a superuser/);
    for (const t of [empty, noRoles]) expect(await userObjects(t.url)).toEqual([]);

    const inUse = await emptyDatabase();
    await withDbAt(inUse.url, async (db) => {
      await migrate(db);
      await recordAudit(db, { mode: 'SYSTEM', actor: 'USER', action_type: 'NOTE', status: 'INFO' });
    });
    const foreign = await emptyDatabase();
    await withDbAt(foreign.url, (db) => db.exec('create table customers (id int); insert into customers values (1)'));
    const inUseBefore = await withDbAt(inUse.url, tableContents);
    await expectTraderError(
      move(inUse.url),
      'BAD_INPUT',
      /^postgres:\/\/postgres:\*\*\*@.* is not empty \(1 audit_trail\); move into a new, empty database/,
    );
    await expectTraderError(
      move(foreign.url),
      'BAD_INPUT',
      /is not empty \(tables trader does not own: public\.customers\)/,
    );
    expect(await withDbAt(inUse.url, tableContents)).toEqual(inUseBefore);
    expect(await userObjects(foreign.url)).toEqual([{ name: 'public.customers' }]);

    // DATABASE_URL and --to naming one database, even by another host name.
    const onPostgres = await freshDb('postgres');
    try {
      const sameBefore = await tableContents(onPostgres);
      const other = new URL(onPostgres.url!);
      other.hostname = 'localhost';
      other.password = password;
      await expectTraderError(
        moveDatabase(onPostgres, { to: other.toString(), logins: logins(), confirm: async () => true }),
        'BAD_INPUT',
        /^--to names the database trader is using now/,
      );
      expect(await tableContents(onPostgres)).toEqual(sameBefore);
    } finally {
      await onPostgres.dispose();
    }
    expect(await tableContents(source)).toEqual(sourceBefore);

    expect(() => assertServerVersion(120022, '12.22', 'postgres://old')).toThrow(
      /^postgres:\/\/old runs Postgres 12\.22, and trader needs 13 or newer/,
    );
    expect(() => assertServerVersion(130000, '13.0', 'postgres://new')).not.toThrow();
  }, 120_000);

  it('refuses an embedded source another process shares: what it writes after the snapshot would stay behind', async () => {
    // Beside the test databases' copies (helpers/templates.ts), so the data directory moves in by a rename.
    const home = scratchCopyDir('move-home-');
    const copy = await freshDb('pglite');
    await copy.closeKeepingFiles!();
    fs.renameSync(copy.dataDir!, path.join(home, 'pgdata'));
    const env = { TRADER_HOME: home };
    const holder = await openDb({ env, share: true, command: 'trader serve' });
    try {
      const client = await openDb({ env, command: 'trader db move' });
      try {
        const target = await emptyDatabase();
        await expectTraderError(
          moveDatabase(client, { to: target.url, logins: logins(), confirm: async () => true }),
          'LOCKED',
          /^The embedded database is held by another process, so this command reaches it as .*pgdata \(through the socket of process \d+, trader serve\); stop trader serve and trader schedule run first/,
        );
        expect(await userObjects(target.url)).toEqual([]);
      } finally {
        await client.close();
      }
    } finally {
      await holder.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);

  it('a login role the server refuses fails after the move, which stays done and audited', async () => {
    const target = await emptyDatabase();
    const names = logins();
    await asAdmin(`create role ${names.LIVE} superuser`);
    await expectTraderError(
      move(target.url, names),
      'CONFIG_INVALID',
      new RegExp(
        `^\\d+ rows were moved to postgres://postgres:\\*\\*\\*@.* and verified, but its login roles were not created: The role ${names.LIVE} is a superuser`,
      ),
    );
    await withDbAt(target.url, async (db) => {
      const [last] = await db.query<{ action_type: string }>(
        'select action_type from audit_trail order by seq desc limit 1',
      );
      expect(last?.action_type).toBe('DB_MOVED');
      expect((await verifyAuditTrail(db)).ok).toBe(true);
    });
  }, 60_000);
});
