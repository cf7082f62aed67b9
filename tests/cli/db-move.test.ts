import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../store/open.ts';
import { baseEnv, demoAsOfIso, expectCleanError, ok, runTrader, type Target } from '../helpers/cli.ts';
import { createPostgresDatabase, dropRoles } from '../helpers/db.ts';
import { demoTarget } from '../helpers/demo-template.ts';
import { withoutTheMove } from '../helpers/moved-contents.ts';
import { tableContents } from '../helpers/table-contents.ts';

/**
 * `trader db move` through the real bin, as a user outgrowing the embedded database: the
 * demo's scenario (runs, a proposal, the audit trail) moved onto a new Postgres database,
 * every table equal row for row, `audit verify` and `runs show` the same there; the next step
 * printed with the URL's password masked, and never shown anywhere. Without a terminal and
 * without --yes it refuses, writing nothing. The use case's cases: tests/orchestrator/db-move.test.ts.
 */

const password = 'cli-Pass-Never-Shown-42';
const tag = randomBytes(4).toString('hex');
const names = { TEST: `trader_c_${tag}_mv_test`, LIVE: `trader_c_${tag}_mv_live` };

const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function contents(env: NodeJS.ProcessEnv): Promise<Record<string, string[]>> {
  const db = await openDb({ env, command: 'move drill' });
  try {
    return await tableContents(db);
  } finally {
    await db.close();
  }
}

describe('trader db move (embedded to postgres, through the bin)', () => {
  let source: Target;
  let target: { url: string; drop: () => Promise<void> };
  let to: string;
  beforeAll(async () => {
    source = await demoTarget('pglite');
    await ok(source, 'run', '--symbols', 'BTC/USDT,ETH/USDT', '--as-of', demoAsOfIso, '--strategy', 'breakout');
    await ok(source, 'mode', 'set', 'semi_auto', '--yes');
    await ok(source, 'run', '--symbols', 'BTC/USDT', '--as-of', demoAsOfIso, '--strategy', 'breakout');
    target = await createPostgresDatabase();
    const url = new URL(target.url);
    url.password = password;
    to = url.toString();
  }, 300_000);
  afterAll(async () => {
    await source?.dispose();
    await target?.drop();
    await dropRoles(Object.values(names));
  });

  it('refuses without a terminal and --yes, then moves everything and says what to do next', async () => {
    const flags = ['--test-login', names.TEST, '--live-login', names.LIVE];
    const targetEnv = baseEnv({ DATABASE_URL: target.url });
    expectCleanError(
      await runTrader(['db', 'move', '--to', to, ...flags], source.env),
      2,
      /^trader: This change needs confirmation; run it in a terminal or add --yes\.$/,
    );
    const untouched = postgres(target.url, { onnotice: () => {}, max: 1 });
    try {
      const [n] = await untouched<
        { n: number }[]
      >`select count(*)::int as n from pg_tables where schemaname = 'public'`;
      expect(n!.n).toBe(0);
    } finally {
      await untouched.end();
    }

    const before = await contents(source.env);
    const moved = await ok(source, 'db', 'move', '--to', to, '--yes', ...flags);
    const shown = to.replace(`:${password}@`, ':***@');
    const rows = Object.values(before).reduce((a, r) => a + r.length, 0);
    expect(moved.stdout).toMatch(
      new RegExp(
        `^Moved ${rows} rows in ${Object.keys(before).length} tables from ${literal(`${source.home}/pgdata`)} to ${literal(shown)}\\.$`,
        'm',
      ),
    );
    expect(moved.stdout).toContain(`export DATABASE_URL='${shown}'   (your password in place of ***)`);
    expect(moved.stdout).toMatch(
      new RegExp(`^  ${literal(`${source.home}/pgdata`)} is left as it was \\(trader never deletes it\\)`, 'm'),
    );
    expect(moved.stdout).toMatch(new RegExp(`^  TEST: DATABASE_URL=postgres://${names.TEST}:[\\w-]{32}@`, 'm'));
    expect(moved.stdout + moved.stderr).not.toContain(password);

    const after = await contents(targetEnv);
    expect(withoutTheMove(after)).toEqual(withoutTheMove(before));
    expect(JSON.stringify(after)).not.toContain(password);
    expect((await ok({ ...source, env: targetEnv }, 'audit', 'verify')).stdout).toMatch(/^audit trail intact/);
    const runs = JSON.parse((await ok(source, 'runs', 'list', '--json')).stdout) as { runs: { run_id: string }[] };
    expect(runs.runs.length).toBeGreaterThanOrEqual(2);
    for (const { run_id } of runs.runs)
      expect((await ok({ ...source, env: targetEnv }, 'runs', 'show', run_id)).stdout).toBe(
        (await ok(source, 'runs', 'show', run_id)).stdout,
      );

    // Moved once: the target is in use now, and a second move is refused (as JSON too).
    const again = await runTrader(['db', 'move', '--to', to, '--yes', '--json', ...flags], source.env);
    expectCleanError(
      again,
      2,
      /is not empty \(\d+ audit_trail, \d+ pipeline_runs, \d+ candles\); move into a new, empty database/,
    );
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(again.stdout + again.stderr).not.toContain(password);
  }, 300_000);
});
