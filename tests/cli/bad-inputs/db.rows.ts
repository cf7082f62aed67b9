import fs from 'node:fs';
import path from 'node:path';
import type { BadInput } from './row.ts';

const both: BadInput['backends'] = ['pglite', 'postgres'];

/** `trader db sql`, `trader db shell` and the embedded data directory itself. */
export const rows: BadInput[] = [
  {
    what: 'db sql: a syntax error in the query',
    args: ['db', 'sql', 'selec 1'],
    exit: 2,
    message: /^trader: The query failed: syntax error at or near "selec"\.$/,
    backends: both,
  },
  {
    what: 'db sql: a table that does not exist',
    args: ['db', 'sql', 'select * from no_such_table'],
    exit: 2,
    message: /^trader: The query failed: relation "no_such_table" does not exist\.$/,
    backends: both,
  },
  {
    what: 'db sql: a write without --write',
    args: ['db', 'sql', 'delete from asset_config'],
    exit: 2,
    message: /cannot execute DELETE in a read-only transaction; add --write to change data/,
    backends: both,
  },
  {
    what: 'db sql: a write hidden in a function call, without --write',
    args: ['db', 'sql', `select set_config('transaction_read_only', 'off', true), 1`],
    exit: 2,
    message: /^trader: The query failed: /,
    backends: both,
  },
  {
    what: 'db sql --write: truncating the audit trail',
    args: ['db', 'sql', '--write', 'truncate audit_trail'],
    exit: 2,
    message: /audit_trail is append-only: TRUNCATE is not allowed/,
    backends: both,
  },
  {
    what: 'db sql: a script that would commit half-way out of the read-only transaction',
    args: ['db', 'sql', `commit; insert into asset_config (symbol) values ('ESC/APE')`],
    exit: 2,
    message: /cannot insert multiple commands into a prepared statement/,
    backends: both,
  },
  {
    what: 'db sql: two statements at once',
    args: ['db', 'sql', 'select 1; select 2'],
    exit: 2,
    message: /^trader: The query failed: cannot insert multiple commands into a prepared statement\.$/,
    backends: both,
  },
  {
    what: 'db sql: an empty query',
    args: ['db', 'sql', '   '],
    exit: 2,
    message: /^trader: The query is empty; give one SQL statement\.$/,
    backends: both,
  },
  {
    what: 'db sql: a very long bad query is not echoed in full',
    args: ['db', 'sql', `select ${'x'.repeat(5000)} from`],
    exit: 2,
    message: /^trader: The query failed: .{1,400}$/,
    backends: both,
  },
  {
    what: 'db shell without psql on PATH',
    args: ['db', 'shell'],
    env: { PATH: '{tmp}' },
    exit: 2,
    message: /^trader: psql is not installed \(or not on PATH\)/,
    backends: both,
  },
  {
    what: 'embedded data directory that is a file',
    backends: ['pglite'],
    args: ['runs', 'list'],
    env: { TRADER_HOME: '{tmp}/home' },
    setup: (tmp) => {
      fs.mkdirSync(path.join(tmp, 'home'));
      fs.writeFileSync(path.join(tmp, 'home', 'pgdata'), 'not a directory');
    },
    exit: 2,
    message: /\/home\/pgdata is not a directory, so it cannot hold the embedded database; move it away/,
  },
  {
    what: 'embedded data directory with garbage files in it',
    backends: ['pglite'],
    args: ['db', 'sql', 'select 1'],
    env: { TRADER_HOME: '{tmp}/home' },
    setup: (tmp) => {
      fs.mkdirSync(path.join(tmp, 'home', 'pgdata'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'home', 'pgdata', 'PG_VERSION'), 'garbage\n');
      fs.writeFileSync(path.join(tmp, 'home', 'pgdata', 'junk'), 'x');
    },
    exit: 5,
    message:
      /^trader: The embedded database in \S+\/home\/pgdata is damaged and cannot be opened \(.+\); restore the directory from a backup/,
  },
  {
    what: 'embedded data directory whose control file is damaged',
    backends: ['pglite'],
    args: ['status'],
    env: { TRADER_HOME: '{tmp}/home' },
    setup: (tmp) => {
      fs.mkdirSync(path.join(tmp, 'home', 'pgdata', 'global'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'home', 'pgdata', 'PG_VERSION'), '17\n');
      fs.writeFileSync(path.join(tmp, 'home', 'pgdata', 'global', 'pg_control'), 'junk');
    },
    exit: 5,
    message: /is damaged and cannot be opened/,
  },
];
