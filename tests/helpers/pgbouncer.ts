import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';

/** Supabase's transaction pooler is PgBouncer in transaction mode; tests run through a real one. */
export const pgbouncerBinary = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => fs.existsSync(p));

async function waitForPort(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(socket.end() !== undefined));
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`pgbouncer did not listen on ${port}`);
}

/** Starts PgBouncer (pool_mode = transaction) in front of the local Postgres; returns its port and a stop function. */
export async function startTransactionPooler(): Promise<{ port: number; stop: () => void }> {
  if (!pgbouncerBinary) throw new Error('pgbouncer is not installed');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-pgb-'));
  fs.chmodSync(dir, 0o777);
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'users.txt'), '"postgres" ""\n');
  fs.writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      '* = host=127.0.0.1 port=5432',
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'auth_type = trust',
      `auth_file = ${dir}/users.txt`,
      'pool_mode = transaction',
      'default_pool_size = 2',
      'unix_socket_dir =',
      'ignore_startup_parameters = extra_float_digits,options',
    ].join('\n'),
  );
  for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
  // PgBouncer refuses to run as root; -u drops to the postgres user.
  const asRoot = process.getuid?.() === 0 ? ['-u', 'postgres'] : [];
  const child = spawn(pgbouncerBinary, [...asRoot, path.join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
  await waitForPort(port, Date.now() + 10_000);
  return {
    port,
    stop: () => {
      child.kill('SIGINT');
      spawnSync('sleep', ['0.2']);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
