import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropRoles } from '../helpers/db.ts';
import { migratedTarget, ok, type Target, withInput } from '../helpers/cli.ts';

/**
 * As a user deploys it on Postgres: `trader db roles` as the administrator, then `trader
 * status` as the owner (the barrier is open, loudly) and as the TEST login role it printed
 * (the barrier holds). The use case itself is tested in tests/trading/login-roles.test.ts.
 */
describe('trader db roles and the barrier in trader status (postgres)', () => {
  let t: Target;
  const tag = randomBytes(4).toString('hex');
  const names = { TEST: `trader_c_${tag}_test`, LIVE: `trader_c_${tag}_live` };
  beforeAll(async () => {
    t = await migratedTarget('postgres');
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
    await dropRoles(Object.values(names));
  });

  it('creates the roles with passwords entered on stdin, masks them, and status tells open from holding', async () => {
    const passwords = ['a password of at least 16', 'another password, as long'];
    const r = await withInput(
      t,
      `${passwords.join('\n')}\n`,
      'db',
      'roles',
      '--ask-password',
      '--json',
      '--test-login',
      names.TEST,
      '--live-login',
      names.LIVE,
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { roles: { name: string; credential: string; database_url: string }[] };
    const url = new URL(t.url!);
    expect(doc.roles.map((x) => [x.name, x.credential, x.database_url])).toEqual(
      [names.TEST, names.LIVE].map((n) => [n, 'given', `postgres://${n}:****@${url.host}${url.pathname}`]),
    );
    for (const p of passwords) expect(r.stdout + r.stderr).not.toContain(p);

    const asOwner = (await ok(t, 'status')).stdout;
    expect(asOwner.split('\n')[0]).toBe(
      '!!! TEST/LIVE BARRIER OPEN: postgres is a superuser, so it can switch to trader_live (set role) !!!',
    );
    const loginUrl = new URL(t.url!);
    loginUrl.username = names.TEST;
    const asLogin = (await ok({ ...t, env: { ...t.env, DATABASE_URL: loginUrl.toString() } }, 'status')).stdout;
    expect(asLogin).not.toMatch(/BARRIER OPEN/);
    expect(asLogin).toMatch(
      new RegExp(`^TEST/LIVE barrier +holds: ${names.TEST} can reach this mode's role only$`, 'm'),
    );
  });
});
