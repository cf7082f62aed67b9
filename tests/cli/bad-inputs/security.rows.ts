import type { BadInput } from './row.ts';

/** `trader db roles`: where it does not apply, names it refuses, passwords it refuses, confirmation. */
export const rows: BadInput[] = [
  {
    what: 'db roles on the embedded database',
    backends: ['pglite'],
    args: ['db', 'roles'],
    exit: 2,
    message:
      /^trader: The embedded database has a single built-in superuser and takes no network logins, so login roles do not apply to it; set DATABASE_URL to a Postgres server/,
  },
  {
    what: 'db roles with a login name that is no role name',
    args: ['db', 'roles', '--test-login', 'Trader-Login'],
    exit: 2,
    message:
      /^trader: --test-login must be a new role name of lower-case letters, digits and '_' .*, not 'Trader-Login'\.$/,
    backends: ['postgres'],
  },
  {
    what: 'db roles naming a mode role itself as the login',
    args: ['db', 'roles', '--live-login', 'trader_test'],
    exit: 2,
    message: /^trader: --live-login must be a new role name .*not trader_test, trader_live/,
    backends: ['postgres'],
  },
  {
    what: 'db roles with one name for both modes',
    args: ['db', 'roles', '--test-login', 'row_same_login', '--live-login', 'row_same_login'],
    exit: 2,
    message: /^trader: The TEST and LIVE login roles need two different names\.$/,
    backends: ['postgres'],
  },
  {
    what: 'db roles --reset-password without a terminal or --yes',
    args: ['db', 'roles', '--reset-password'],
    exit: 2,
    message: /^trader: This change needs confirmation; run it in a terminal or add --yes\.$/,
    backends: ['postgres'],
  },
  {
    what: 'db roles --ask-password with a password that is too short',
    args: ['db', 'roles', '--ask-password', '--test-login', 'row_short_t_login', '--live-login', 'row_short_l_login'],
    stdin: 'short\n',
    exit: 2,
    message:
      /^trader: The password for row_short_t_login must be 16 to 128 printable ASCII characters; enter another\.$/,
    backends: ['postgres'],
  },
  {
    what: 'db roles --ask-password with nothing on stdin',
    args: ['db', 'roles', '--ask-password', '--test-login', 'row_none_t_login', '--live-login', 'row_none_l_login'],
    stdin: '',
    exit: 2,
    message: /^trader: No answer for "Password for row_none_t_login" on stdin/,
    backends: ['postgres'],
  },
];
