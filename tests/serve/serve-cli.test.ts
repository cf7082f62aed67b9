import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../orchestrator/serve/tokens-repo.ts';
import { migrate } from '../../store/migrate.ts';
import { openDb } from '../../store/open.ts';
import {
  freshTarget,
  adapterCliBackend,
  expectCleanError,
  ok,
  runTrader,
  type Target,
  traderArgv,
} from '../helpers/cli.ts';

/**
 * The real bin, once (each spawn costs a second or two): `serve token create` prints a
 * token that `trader serve` then accepts, the server stops cleanly on SIGTERM and
 * releases the embedded database, and a bad token name is one clean sentence. The HTTP
 * behaviour itself is tested in-process (serve-http, serve-runs).
 */
describe.each(adapterCliBackend)('trader serve through the bin (%s)', () => {
  let t: Target;
  beforeAll(async () => {
    t = await freshTarget('pglite');
    const db = await openDb({ env: { TRADER_HOME: t.home } });
    await migrate(db);
    await db.close();
  }, 60_000);
  afterAll(async () => t.dispose());

  it('token create prints the token once (only its hash is stored); serve accepts it and stops on SIGTERM; bad input is clean', async () => {
    const created = JSON.parse((await ok(t, 'serve', 'token', 'create', '--name', 'n8n', '--json')).stdout) as {
      ok: true;
      name: string;
      token: string;
    };
    expect(created).toMatchObject({ ok: true, name: 'n8n', token: expect.stringMatching(/^trd_[A-Za-z0-9_-]{43}$/) });

    const child = spawn(process.execPath, traderArgv(['serve', '--port', '0']), {
      env: t.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      void exited.then(() => reject(new Error(`serve exited early:\n${stderr}`)));
    });
    try {
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const status = await fetch(`${url}/status`, { headers: { authorization: `Bearer ${created.token}` } });
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({ ok: true, system_mode: 'TEST' });
      expect((await fetch(`${url}/status`, { headers: { authorization: 'Bearer trd_nope' } })).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stderr).toBe(0);
    expect(stdout).toMatch(/trader serve: stopped\n$/);
    expect(stderr).not.toMatch(/^\s+at |Error:/m);
    expect(fs.existsSync(path.join(t.home!, 'trader.lock'))).toBe(false);

    const db = await openDb({ env: { TRADER_HOME: t.home } });
    try {
      const rows = await db.query<{ name: string; token_hash: string; last_used_at: Date | null }>(
        'select name, token_hash, last_used_at from http_tokens',
      );
      expect(rows).toEqual([{ name: 'n8n', token_hash: hashToken(created.token), last_used_at: expect.any(Date) }]);
      const everything = JSON.stringify(await db.query('select * from audit_trail'));
      expect(everything).not.toContain(created.token);
    } finally {
      await db.close();
    }

    expectCleanError(
      await runTrader(['serve', 'token', 'create', '--name', 'my token!'], t.env),
      2,
      /^trader: --name 'my token!' is not a token name: /,
    );
    expectCleanError(
      await runTrader(['serve', '--tls-cert', path.join(t.home!, 'cert.pem')], t.env),
      2,
      /^trader: Give both --tls-cert and --tls-key \(a PEM certificate and its private key\), or neither\.$/,
    );
  }, 90_000);
});
