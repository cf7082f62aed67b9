import type { Command } from 'commander';
import { migrate, migrationStatus } from '../../../store/migrate.ts';
import { seedDefaults } from '../../seed.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { table } from '../table.ts';
import { registerDbMoveCommand } from './db-move.ts';
import { registerDbRolesCommand } from './db-roles.ts';
import { registerDbSqlCommands } from './db-sql.ts';

export function registerDbCommands(program: Command): void {
  const db = program
    .command('db')
    .description(
      'the database: migrations and status, seed data, login roles, SQL (db sql), a psql shell (db shell) and a move onto Postgres (db move)',
    );

  withJson(db.command('migrate'))
    .description('apply pending migrations from supabase/migrations, each in its own transaction')
    .addHelpText('after', '\nExample:\n  $ trader db migrate')
    .action(
      action(async (opts: JsonFlag) =>
        withDb(
          'db migrate',
          async (conn) => {
            const applied = await migrate(conn);
            output(opts, { ok: true, database: conn.location, applied }, () =>
              applied.length === 0
                ? `Database ${conn.location} is up to date.`
                : applied.map((m) => `applied ${m.version}_${m.name}`).join('\n'),
            );
          },
          { migrated: false },
        ),
      ),
    );

  withJson(db.command('status'))
    .description('list applied and pending migrations')
    .addHelpText('after', '\nExample:\n  $ trader db status --json')
    .action(
      action(async (opts: JsonFlag) =>
        withDb(
          'db status',
          async (conn) => {
            const status = await migrationStatus(conn);
            output(opts, { ok: true, database: conn.location, migrations: status }, () =>
              [
                `database: ${conn.location}`,
                table(
                  ['state', 'migration'],
                  status.map((s) => [s.state, `${s.version}_${s.name}`]),
                ),
              ].join('\n'),
            );
            return status.some((s) => s.state === 'edited') ? 2 : 0;
          },
          { migrated: false },
        ),
      ),
    );

  withJson(db.command('seed'))
    .description('register and activate the shipped modules and create the default pipeline (idempotent)')
    .addHelpText('after', '\nExample:\n  $ trader db migrate && trader db seed')
    .action(
      action(async (opts: JsonFlag) =>
        withDb('db seed', async (conn) => {
          const seeded = await seedDefaults(conn);
          output(
            opts,
            { ok: true, ...seeded },
            () =>
              `registered and activated ${seeded.modules.length} modules; ${seeded.pipeline_rows_added} default pipeline row(s) and ${seeded.strategy_rows_added} strategy row(s) added (strategies: ${seeded.strategies.join(', ')})${seeded.kept.length ? `; kept your replacement of ${seeded.kept.map((k) => `${k.module_id} (${k.script_path})`).join(', ')}` : ''}`,
          );
        }),
      ),
    );

  registerDbRolesCommand(db);
  registerDbMoveCommand(db);
  registerDbSqlCommands(db);
}
