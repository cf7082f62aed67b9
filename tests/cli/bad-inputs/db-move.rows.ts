import type { BadInput } from './row.ts';

/** `trader db move`: a target that cannot be used is refused before anything is written, its password never shown. */
export const rows: BadInput[] = [
  {
    what: 'db move without --to',
    args: ['db', 'move', '--yes'],
    exit: 2,
    message: /^trader: required option '--to <url>' not specified$/,
    usageHint: true,
  },
  {
    what: 'db move to a URL of another database system',
    args: ['db', 'move', '--to', 'mysql://admin:hunter2hunter2@127.0.0.1/trader', '--yes'],
    exit: 2,
    message:
      /^trader: --to must be a postgres:\/\/ URL like postgres:\/\/user@host:5432\/database, not 'mysql:\/\/admin:\*\*\*@127\.0\.0\.1\/trader'\.$/,
  },
  {
    what: 'db move to something that is not a URL',
    args: ['db', 'move', '--to', 'db.example.com:5432', '--yes'],
    exit: 2,
    message:
      /^trader: --to must be a postgres:\/\/ URL like postgres:\/\/user@host:5432\/database, not 'db\.example\.com:5432'\.$/,
  },
  {
    what: 'db move to a URL that does not parse',
    args: ['db', 'move', '--to', 'postgres://admin:hunter2@[db', '--yes'],
    exit: 2,
    message: /^trader: --to is not a URL; give one like postgres:\/\/user@host:5432\/database\.$/,
  },
  {
    what: 'db move to a server that does not answer',
    args: ['db', 'move', '--to', 'postgres://postgres:hunter2hunter2@127.0.0.1:1/trader', '--yes'],
    exit: 1,
    message:
      /^trader: Cannot reach the target database postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/trader \(.*\); check --to and that the server is running\. Nothing was moved\.$/,
  },
  {
    what: 'db move with a login role name that is not one',
    args: ['db', 'move', '--to', 'postgres://127.0.0.1/trader', '--test-login', 'Robert; drop', '--yes'],
    exit: 2,
    message: /^trader: --test-login must be a new role name of lower-case letters/,
  },
];
