import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBackends, expectCleanError, ok, runTrader, type Target } from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

/** `trader db sql` through the real bin, on both backends. Refusals are rows of the bad-input table (db.rows.ts). */
describe.each(cliBackends)('trader db sql (%s)', (kind) => {
  let t: Target;
  beforeAll(async () => {
    t = await demoTarget(kind, { data: false });
  }, 240_000);
  afterAll(async () => t?.dispose());

  const sql = async (...args: string[]) => (await ok(t, 'db', 'sql', ...args)).stdout;

  it('prints rows as a table with a header, and as JSON with --json', async () => {
    const query = `select module_id, null::text as nothing, 2::int as two from module_registry where module_id = 'breakout_v1'`;
    expect(await sql(query)).toBe(
      ['module_id   | nothing | two', '------------+---------+----', 'breakout_v1 |         | 2', '(1 row)', ''].join(
        '\n',
      ),
    );
    expect(JSON.parse(await sql(query, '--json'))).toEqual({
      ok: true,
      columns: ['module_id', 'nothing', 'two'],
      rows: [{ module_id: 'breakout_v1', nothing: null, two: 2 }],
    });
    // No rows, no column names to show (the driver returns rows only).
    expect(await sql(`select 1 as one where false`)).toBe('(0 rows)\n');
  }, 60_000);

  it('is read-only without --write (nothing written); --write changes data and audits the statement in the same transaction', async () => {
    const insert = `insert into asset_config (symbol) values ('SQL/USDT')`;
    expectCleanError(await runTrader(['db', 'sql', insert], t.env), 2, /read-only transaction; add --write/);
    const count = `select count(*)::int as n from asset_config where symbol = 'SQL/USDT'`;
    expect(JSON.parse(await sql(count, '--json')).rows).toEqual([{ n: 0 }]);

    await sql('--write', insert);
    expect(JSON.parse(await sql(count, '--json')).rows).toEqual([{ n: 1 }]);
    const audit = JSON.parse(
      await sql(
        `select actor, action_type, mode, details from audit_trail where action_type = 'DB_SQL_WRITE' order by seq`,
        '--json',
      ),
    ) as { rows: unknown[] };
    expect(audit.rows).toEqual([
      { actor: 'USER', action_type: 'DB_SQL_WRITE', mode: 'SYSTEM', details: { query: insert, returned_rows: 0 } },
    ]);

    // The audit trail refuses changes to its rows (truncation: a bad-input row), with --write too.
    for (const change of ['delete from audit_trail', `update audit_trail set actor = 'SYSTEM'`])
      expectCleanError(
        await runTrader(['db', 'sql', '--write', change], t.env),
        2,
        /audit_trail is append-only: (DELETE|UPDATE) is not allowed/,
      );

    // A write that fails leaves neither the change nor an audit row.
    const failing = `insert into asset_config (symbol) values ('SQL/USDT')`;
    expectCleanError(await runTrader(['db', 'sql', '--write', failing], t.env), 2, /duplicate key value/);
    expect(
      JSON.parse(await sql(`select count(*)::int as n from audit_trail where action_type = 'DB_SQL_WRITE'`, '--json'))
        .rows,
    ).toEqual([{ n: 1 }]);
  }, 90_000);
});
