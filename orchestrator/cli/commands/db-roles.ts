import type { Command } from 'commander';
import { prompter } from '../../../core/prompt.ts';
import { redactUrl } from '../../../store/postgres-db.ts';
import {
  checkLoginName,
  defaultLoginNames,
  ensureLoginRoles,
  loginUrl,
  type LoginRoleResult,
  notOnEmbedded,
} from '../../../trading/login-roles.ts';
import { action, badInput, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';

/** The names of the login roles, from the flags `withLoginNameFlags` adds. */
export interface LoginNameFlags {
  testLogin: string;
  liveLogin: string;
}

interface RolesFlags extends JsonFlag, LoginNameFlags {
  askPassword?: boolean;
  resetPassword?: boolean;
  yes?: boolean;
}

function describeRole(r: LoginRoleResult): string {
  const what =
    r.outcome === 'repaired' ? `repaired (${r.repairs.join(', ')})` : r.outcome === 'created' ? 'created' : 'unchanged';
  const password = { generated: 'new password generated', given: 'password set as entered', kept: 'password kept' }[
    r.credential
  ];
  return `${r.name.padEnd(22)} member of ${r.member_of} only  ${what}, ${password}`;
}

/** The roles and their connection strings (a generated password shown this once), as `db roles` and `db move` print them. */
export function describeLoginRoles(url: string, roles: LoginRoleResult[]): string {
  const shown = roles.some((r) => r.password !== undefined);
  return [
    `Login roles on ${redactUrl(url)}:`,
    ...roles.map((r) => `  ${describeRole(r)}`),
    '',
    shown
      ? 'Connection strings (a generated password is shown this once and stored nowhere: copy it now):'
      : 'Connection strings (passwords masked):',
    ...roles.map(
      (r) =>
        `  ${r.mode}: DATABASE_URL=${loginUrl(url, r.name, r.password)}${r.mode === 'LIVE' ? ' TRADER_SYSTEM_MODE=LIVE' : ''}`,
    ),
    '',
    'A password protects only where pg_hba.conf asks for one (scram-sha-256), not with trust.',
  ].join('\n');
}

/** The roles for --json, each with its connection string. */
export const loginRolesJson = (url: string, roles: LoginRoleResult[]) =>
  roles.map((r) => ({ ...r, database_url: loginUrl(url, r.name, r.password) }));

/** The login names the flags give, checked. */
export const loginNames = (flags: LoginNameFlags) => ({
  TEST: checkLoginName('--test-login', flags.testLogin),
  LIVE: checkLoginName('--live-login', flags.liveLogin),
});

/** --test-login and --live-login, for each command that creates the login roles. */
export function withLoginNameFlags(cmd: Command): Command {
  return cmd
    .option('--test-login <name>', 'the TEST login role', defaultLoginNames.TEST)
    .option('--live-login <name>', 'the LIVE login role', defaultLoginNames.LIVE);
}

async function roles(flags: RolesFlags): Promise<void> {
  const url = process.env.DATABASE_URL;
  // Refused before the database is opened: on the embedded one there is nothing to do.
  if (!url) throw notOnEmbedded();
  const names = loginNames(flags);
  if (
    flags.resetPassword &&
    !(await prompter.confirm(
      `Give ${names.TEST} and ${names.LIVE} new passwords? Processes connected with the old ones must be updated`,
      flags.yes,
    ))
  )
    throw badInput('Nothing changed.');
  const result = await withDb('db roles', (db) =>
    ensureLoginRoles(db, {
      names,
      resetPasswords: flags.resetPassword ?? false,
      askPassword: flags.askPassword ? (role) => prompter.secret(`Password for ${role}`) : undefined,
    }),
  );
  output(flags, { ok: true, roles: loginRolesJson(url, result) }, () => describeLoginRoles(url, result));
}

/** `trader db roles`: wired from db.ts. */
export function registerDbRolesCommand(db: Command): void {
  withLoginNameFlags(withJson(db.command('roles')))
    .description(
      'Postgres only: create (or repair) login roles that can reach one system mode each, and print their connection strings',
    )
    .option(
      '--ask-password',
      'ask for the password of each role that gets one (hidden on a terminal, else one stdin line each) instead of generating it',
    )
    .option('--reset-password', 'give existing roles a new password too (asks for confirmation)')
    .option('--yes', 'confirm --reset-password without asking')
    .addHelpText(
      'after',
      '\nExample:\n  $ DATABASE_URL=postgres://postgres@db.example:5432/trader trader db roles\n  $ DATABASE_URL=postgres://trader_test_login:<password>@db.example:5432/trader trader status\n\nRun it once as a superuser (or a user with CREATEROLE); then run trader as the login role of its mode.\nGenerated passwords are shown once. Passwords are sent to the server only as SCRAM verifiers.',
    )
    .action(action(roles));
}
