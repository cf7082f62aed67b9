import type { Command } from 'commander';
import { prompter } from '../../../core/prompt.ts';
import { moveDatabase, type MoveDone } from '../../backup/db-move.ts';
import { targetUrl } from '../../backup/move-target.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { describeLoginRoles, loginNames, loginRolesJson, type LoginNameFlags, withLoginNameFlags } from './db-roles.ts';

/** `trader db move`: wired from db.ts; the use case is orchestrator/backup/db-move.ts. */

interface MoveFlags extends JsonFlag, LoginNameFlags {
  to: string;
  yes?: boolean;
}

function describeMove(url: string, done: MoveDone): string {
  const head = done.audit_head ? `, audit chain head seq ${done.audit_head.seq}` : '';
  return [
    `Moved ${done.rows} rows in ${done.tables} tables from ${done.from} to ${done.to}.`,
    `Verified: every table's row count${head} as in the source; audit trail intact (${done.audit_rows_checked} rows).`,
    '',
    describeLoginRoles(url, done.roles),
    '',
    'Next:',
    `  export DATABASE_URL='${done.to}'   ${done.to.includes(':***@') ? '(your password in place of ***)' : '(with PGPASSWORD set where the server asks for a password)'}`,
    '  or the connection string of a login role above, for a process of one system mode.',
    `  ${done.from} is left as it was (trader never deletes it): a copy from before the move, DB_MOVED its last audit row.`,
  ].join('\n');
}

export function registerDbMoveCommand(db: Command): void {
  withLoginNameFlags(withJson(db.command('move')))
    .description(
      'move this installation (normally the embedded database) onto an empty Postgres server, Supabase included: one consistent copy, verified like a restore, with the login roles created there',
    )
    .requiredOption(
      '--to <url>',
      'the target database: postgres://user@host:5432/database (leave the password out and set PGPASSWORD to keep it out of the shell history)',
    )
    .option('--yes', 'move without asking')
    .addHelpText(
      'after',
      `
Example:
  $ PGPASSWORD=... trader db move --to 'postgres://postgres@db.example.supabase.co:5432/postgres?sslmode=require'

Stop trader serve and trader schedule run first. Connect as a superuser, or as the owner of
the target database who may create roles (Supabase's postgres). The target must be empty; it
is migrated, loaded in one transaction from one snapshot of this database (row counts and the
audit chain's head compared before the commit), its audit trail verified, the move audited
(DB_MOVED) in both databases, and the login roles of \`trader db roles\` created there
(a generated password is shown once). At the end it prints the DATABASE_URL to use from then
on. The embedded data directory stays where it is, never deleted, DB_MOVED its last audit row.
Exit codes: 0 moved, 1 the target does not answer, 2 a bad URL, the database trader uses now,
a target that is not empty or too old, a user who may not create roles, no confirmation (all
before anything is written) or login roles the server refused after the move, 4 another
process holds the embedded database, 5 the copy did not verify (rolled back).`,
    )
    .action(
      action(async (flags: MoveFlags) => {
        // Checked before the database is opened: a bad URL or name creates nothing.
        const to = targetUrl(flags.to);
        const logins = loginNames(flags);
        const done = await withDb('db move', (source) =>
          moveDatabase(source, { to, logins, confirm: (question) => prompter.confirm(question, flags.yes) }),
        );
        output(flags, { ok: true, ...done, roles: loginRolesJson(to, done.roles) }, () => describeMove(to, done));
      }),
    );
}
