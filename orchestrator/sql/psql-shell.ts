import { spawn, spawnSync } from 'node:child_process';
import { TraderError } from '../../core/errors.ts';
import { socketDir, socketPort } from '../../store/socket-path.ts';

/** Refuses at once, before any database is opened, when psql cannot be started. */
export function assertPsqlInstalled(env: NodeJS.ProcessEnv = process.env): void {
  const probe = spawnSync('psql', ['--version'], { env, stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new TraderError(
      'NOT_FOUND',
      'psql is not installed (or not on PATH); install the PostgreSQL client (e.g. apt-get install postgresql-client), or use `trader db sql "<query>"`.',
    );
  }
}

/** Where psql connects: a DATABASE_URL (its password passed in the environment, not on the command line) or the socket. */
export function psqlTarget(env: NodeJS.ProcessEnv, home: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const url = env.DATABASE_URL;
  if (!url) {
    return {
      args: ['-h', socketDir(home), '-p', String(socketPort), '-U', 'postgres', '-d', 'postgres'],
      env: { ...env, PGAPPNAME: 'trader db shell' },
    };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TraderError('BAD_INPUT', 'DATABASE_URL is not a URL such as postgres://user@host:5432/db.');
  }
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return {
    args: [parsed.toString()],
    env: { ...env, ...(password ? { PGPASSWORD: password } : {}), PGAPPNAME: 'trader db shell' },
  };
}

/**
 * Runs psql attached to this terminal and resolves with its exit code. Ctrl-C belongs to psql
 * (it cancels the running query), so this process ignores SIGINT meanwhile: it must stay up
 * to keep serving the embedded database to psql.
 */
export function runPsql(target: { args: string[]; env: NodeJS.ProcessEnv }): Promise<number> {
  const ignore = () => {};
  process.on('SIGINT', ignore);
  return new Promise<number>((resolve, reject) => {
    const child = spawn('psql', target.args, { stdio: 'inherit', env: target.env });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  }).finally(() => process.off('SIGINT', ignore));
}
