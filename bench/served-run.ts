import { spawn, spawnSync } from 'node:child_process';
import { packageRoot } from '../core/paths.ts';
import { cliChildEnv } from './cold-start.ts';
import { asOf } from './fixtures.ts';

/**
 * A warm run through `trader serve`: the server started once on the bench database, then
 * `POST /runs?wait=true` for one symbol again and again, as n8n calls it every hour. Each
 * figure is the client's time from request to the whole run summary (HTTP, token check,
 * run lock, planning, deciding in the kept module worker, logs, summary).
 */
export interface ServedRunResult {
  ms: number[];
  outcome: string;
}

const bin = 'bin/trader.js';

async function startServe(env: NodeJS.ProcessEnv): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], {
    cwd: packageRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`trader serve did not start within 30 s: ${err.slice(-400)}`)),
      30_000,
    );
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`trader serve exited ${code}: ${err.slice(-400)}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function measureServedRun(
  dbEnv: NodeJS.ProcessEnv,
  reps: number,
  warmup: number,
): Promise<ServedRunResult> {
  const env = cliChildEnv(dbEnv);
  const made = spawnSync(
    process.execPath,
    [bin, 'serve', 'token', 'create', '--name', `bench-${Date.now()}`, '--json'],
    {
      cwd: packageRoot,
      env,
      encoding: 'utf8',
    },
  );
  if (made.status !== 0) throw new Error(`serve token create exited ${made.status}: ${made.stderr.slice(-400)}`);
  const { token } = JSON.parse(made.stdout) as { token: string };
  const server = await startServe(env);
  try {
    const body = JSON.stringify({ symbols: ['BTC/USDT'], offline: true, as_of: asOf.toISOString(), wait: true });
    const ms: number[] = [];
    let outcome = '';
    for (let i = 0; i < warmup + reps; i++) {
      const t0 = performance.now();
      const res = await fetch(`${server.url}/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
      const summary = (await res.json()) as { status?: string; symbols?: { outcome: string }[] };
      const elapsed = performance.now() - t0;
      if (res.status !== 200 || summary.status !== 'succeeded')
        throw new Error(`POST /runs answered ${res.status}: ${JSON.stringify(summary).slice(0, 400)}`);
      outcome = summary.symbols?.[0]?.outcome ?? '';
      if (i >= warmup) ms.push(elapsed);
    }
    return { ms, outcome };
  } finally {
    await server.stop();
  }
}
