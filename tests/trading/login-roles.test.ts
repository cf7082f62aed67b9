import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../store/db.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import { scramVerifier } from '../../store/scram-verifier.ts';
import { ensureLoginRoles, type LoginRolesOptions } from '../../trading/login-roles.ts';
import { checkModeBarrier } from '../../trading/mode-barrier.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { adminUrl, dropRoles, freshDb, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';

const admin = () => postgres(adminUrl, { onnotice: () => {}, max: 1 });
const test = tradingScope('TEST');
const live = tradingScope('LIVE');

/** The SCRAM verifier Postgres stores for a role (superuser only). */
async function storedVerifier(name: string): Promise<string> {
  const a = admin();
  try {
    const [row] = await a<{ rolpassword: string }[]>`select rolpassword from pg_authid where rolname = ${name}`;
    return row!.rolpassword;
  } finally {
    await a.end();
  }
}

/** Recomputes a stored verifier from a password with its own salt and iterations: equal only for the right password. */
function matches(verifier: string, password: string): boolean {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(verifier)!;
  return scramVerifier(password, Buffer.from(m[2]!, 'base64'), Number(m[1])) === verifier;
}

/**
 * `trader db roles` on a real Postgres server: login roles that reach one mode each, with
 * passwords that work (the stored verifier is checked), idempotent, repairing a role that
 * drifted, audited without any password material; and the barrier check that `trader
 * status` shows, as the owner (open) and as each login role (holds).
 */
describe('login roles (postgres)', () => {
  let owner: TestDb;
  const opened: Db[] = [];
  const tag = randomBytes(4).toString('hex');
  const names = { TEST: `trader_t_${tag}_test`, LIVE: `trader_t_${tag}_live` };
  const options = (more: Partial<LoginRolesOptions> = {}): LoginRolesOptions => ({
    names,
    resetPasswords: false,
    ...more,
  });
  const connectAs = async (name: string) => {
    const url = new URL(owner.url!);
    url.username = name;
    const db = await openPostgresDb(url.toString());
    opened.push(db);
    return db;
  };

  beforeEach(async () => {
    owner = await freshDb('postgres');
  });
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
    await owner.dispose();
    await dropRoles(Object.values(names));
  });

  it('creates one login role per mode with a generated password that works; as each, the barrier holds', async () => {
    const roles = await ensureLoginRoles(owner, options());
    expect(roles.map((r) => [r.mode, r.name, r.member_of, r.outcome, r.credential])).toEqual([
      ['TEST', names.TEST, 'trader_test', 'created', 'generated'],
      ['LIVE', names.LIVE, 'trader_live', 'created', 'generated'],
    ]);
    for (const r of roles) {
      expect(r.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(matches(await storedVerifier(r.name), r.password!)).toBe(true);
      expect(matches(await storedVerifier(r.name), `${r.password!}x`)).toBe(false);
    }

    expect(await checkModeBarrier(owner, test)).toMatchObject({
      holds: false,
      crossings: [expect.stringMatching(/is a superuser, so it can switch to trader_live/)],
    });
    const asTest = await connectAs(names.TEST);
    expect(await checkModeBarrier(asTest, test)).toEqual({ holds: true, login: names.TEST, crossings: [] });
    await expect(asTest.query('set role trader_live')).rejects.toThrow(/permission denied/);
    await expect(tradingTx(asTest, live, (tx) => tx.query('select 1'))).rejects.toThrow(/permission denied/);
    await expect(
      tradingTx(asTest, test, (tx) => tx.query(`select * from ${test.table('state')}`)),
    ).resolves.toHaveLength(1);
    const asLive = await connectAs(names.LIVE);
    expect(await checkModeBarrier(asLive, live)).toEqual({ holds: true, login: names.LIVE, crossings: [] });
    await expect(asLive.query('set role trader_test')).rejects.toThrow(/permission denied/);
  });

  it('is idempotent, repairs a role that drifted, and audits each run without any password material', async () => {
    const first = await ensureLoginRoles(owner, options());
    const verifier = await storedVerifier(names.TEST);
    const again = await ensureLoginRoles(owner, options());
    expect(again.map((r) => [r.outcome, r.credential, r.password])).toEqual([
      ['unchanged', 'kept', undefined],
      ['unchanged', 'kept', undefined],
    ]);
    expect(await storedVerifier(names.TEST)).toBe(verifier);

    const a = admin();
    await a.unsafe(`grant trader_live to ${names.TEST}; alter role ${names.TEST} createdb createrole`);
    await a.end();
    const asTest = await connectAs(names.TEST);
    expect((await checkModeBarrier(asTest, test)).crossings).toEqual([
      `${names.TEST} is a member of trader_live, so it can switch to it (set role)`,
      `${names.TEST} can create roles, so it can make itself a member of trader_live`,
    ]);
    const repaired = await ensureLoginRoles(owner, options());
    expect(repaired[0]).toMatchObject({
      outcome: 'repaired',
      repairs: ['nocreaterole', 'nocreatedb', 'no longer a member of trader_live'],
      credential: 'kept',
    });
    expect(await checkModeBarrier(asTest, test)).toMatchObject({ holds: true });

    const audit = await owner.query<{ status: string; details: { roles: unknown[] } }>(
      "select status, details from audit_trail where action_type = 'DB_LOGIN_ROLES' order by seq",
    );
    expect(audit.map((r) => r.status)).toEqual(['SUCCESS', 'INFO', 'SUCCESS']);
    const trail = JSON.stringify(await owner.query('select * from audit_trail'));
    for (const secret of [first[0]!.password!, first[1]!.password!, verifier]) expect(trail).not.toContain(secret);
  });

  it('takes given passwords instead of generating them, and resets existing ones only when asked', async () => {
    const given = {
      [names.TEST]: 'a test password of 32 characters',
      [names.LIVE]: 'and a live one, also long enough',
    };
    const roles = await ensureLoginRoles(owner, options({ askPassword: async (role) => given[role]! }));
    expect(roles.map((r) => [r.credential, r.password])).toEqual([
      ['given', undefined],
      ['given', undefined],
    ]);
    expect(matches(await storedVerifier(names.LIVE), given[names.LIVE]!)).toBe(true);
    const reset = await ensureLoginRoles(owner, options({ resetPasswords: true }));
    expect(reset.map((r) => r.credential)).toEqual(['generated', 'generated']);
    expect(matches(await storedVerifier(names.LIVE), reset[1]!.password!)).toBe(true);
    await expectTraderError(
      ensureLoginRoles(owner, options({ resetPasswords: true, askPassword: async () => 'short' })),
      'BAD_INPUT',
      /^The password for trader_t_\w+ must be 16 to 128 printable ASCII characters; enter another\.$/,
    );
  });

  it('refuses a superuser as a login role, and a user who may not create roles', async () => {
    await expectTraderError(
      ensureLoginRoles(owner, { ...options(), names: { ...names, TEST: 'postgres' } }),
      'BAD_INPUT',
      /postgres is the user this command is connected as/,
    );
    const asTest = await (async () => {
      await ensureLoginRoles(owner, options());
      return connectAs(names.TEST);
    })();
    await expectTraderError(
      ensureLoginRoles(asTest, options()),
      'CONFIG_INVALID',
      new RegExp(`^The database user ${names.TEST} may not create roles`),
    );
  });

  it('the verifier is the one Postgres computes itself for the same password, salt and iterations', async () => {
    const a = admin();
    try {
      await a.unsafe(`create role ${names.TEST} login`);
      await a.unsafe(
        `set password_encryption = 'scram-sha-256'; alter role ${names.TEST} password 'pg computed this one'`,
      );
    } finally {
      await a.end();
    }
    expect(matches(await storedVerifier(names.TEST), 'pg computed this one')).toBe(true);
  });
});

describe('login roles (pglite)', () => {
  it('do not apply to the embedded database, and status says it has no barrier against role switching', async () => {
    const db = await freshDb('pglite');
    try {
      await expectTraderError(
        ensureLoginRoles(db, { names: { TEST: 'a_login', LIVE: 'b_login' }, resetPasswords: false }),
        'BAD_INPUT',
        /^The embedded database has a single built-in superuser/,
      );
      expect(await checkModeBarrier(db, test)).toEqual({
        holds: false,
        login: 'postgres',
        crossings: [expect.stringMatching(/offers no barrier against deliberate role switching into trader_live/)],
      });
    } finally {
      await db.dispose();
    }
  });
});
