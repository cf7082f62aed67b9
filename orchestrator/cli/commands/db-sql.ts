import type { Command } from 'commander';
import { openDb, traderHome } from '../../../store/open.ts';
import { assertPsqlInstalled, psqlTarget, runPsql } from '../../sql/psql-shell.ts';
import { renderSqlTable } from '../../sql/sql-table.ts';
import { runUserSql } from '../../sql/user-sql.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';

/** `trader db sql` and `trader db shell`: SQL on the configured database, embedded included. */
export function registerDbSqlCommands(db: Command): void {
  withJson(db.command('sql <query>'))
    .description('run one SQL statement on the configured database and print the rows (read-only unless --write)')
    .option('--write', 'allow the statement to change data; the statement is recorded in the audit trail')
    .addHelpText(
      'after',
      `
Example:
  $ trader db sql "select pipeline_id, stage, module_id from pipeline_config order by 1, 2"
  $ trader db sql --write "update pipeline_config set enabled = false where module_id = 'breakout_v1'"

Runs in one transaction as the connection's login (embedded: its one superuser; Postgres: the
DATABASE_URL login). Without --write the transaction is read-only. The audit trail refuses
updates and deletes whatever the role. While \`trader serve\` or \`trader schedule run\` holds the
embedded database, this goes through its socket.
Exit codes: 0 done, 2 the statement failed (syntax, permission, read-only) or is empty.`,
    )
    .action(
      action(async (query: string, opts: JsonFlag & { write?: boolean }) => {
        const result = await withDb('db sql', (conn) => runUserSql(conn, query, { write: opts.write ?? false }), {
          migrated: false,
        });
        output(opts, { ok: true, columns: result.columns, rows: result.rows }, () => renderSqlTable(result));
      }),
    );

  db.command('shell')
    .description('open psql on the configured database (the embedded one through its socket)')
    .addHelpText(
      'after',
      `
Example:
  $ trader db shell

Needs psql (the PostgreSQL client). On the embedded database it connects through the socket of
the process holding it; when none does, this command holds it (and shares it with other trader
commands) until psql exits. psql runs as the connection's login with no read-only guard:
the audit trail still refuses updates and deletes. Exits with psql's exit code.`,
    )
    .action(
      action(async () => {
        assertPsqlInstalled();
        const env = process.env;
        if (env.DATABASE_URL) return runPsql(psqlTarget(env, traderHome(env)));
        const held = await openDb({ command: 'trader db shell', share: true });
        try {
          return await runPsql(psqlTarget(env, traderHome(env)));
        } finally {
          await held.close();
        }
      }),
    );
}
