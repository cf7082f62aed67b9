import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBackends, listRuns, ok, type Target } from '../helpers/cli.ts';
import { runawayTarget, spawnWatched } from './long-commands.ts';

/** A generous hang limit for each HTTP call: a server that answers at all answers far sooner. */
const HANG = 30_000;

/**
 * `trader serve` keeps answering while a run it started is stuck in a module that loops:
 * the module runs in the sandbox's worker, the HTTP server in the main thread. SIGTERM
 * then interrupts the run (closed as failed) and stops the server within 5 s.
 */
describe.each(cliBackends)('trader serve while a module loops (%s)', (kind) => {
  let t: Target;
  beforeAll(async () => {
    t = await runawayTarget(kind);
  }, 180_000);
  afterAll(async () => t.dispose());

  it('GET /health answers while the run loops; SIGTERM closes the run as failed and stops the server', async () => {
    const { token } = JSON.parse((await ok(t, 'serve', 'token', 'create', '--json')).stdout) as { token: string };
    const child = spawnWatched(
      ['serve', '--host', '127.0.0.1', '--port', '0'],
      t,
      path.join(os.tmpdir(), `trader-serve-health-${process.pid}`),
    );
    await child.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(child.stdout())![1]!;
    const auth = { authorization: `Bearer ${token}` };
    try {
      const started = await fetch(`${url}/runs`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ symbols: ['ETH/USDT'], as_of: '2024-03-05T02:00:00Z', offline: true }),
        signal: AbortSignal.timeout(HANG),
      });
      expect(started.status).toBe(202);
      const { run_id } = (await started.json()) as { run_id: string };
      for (let i = 0; i < 3; i++) {
        const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(HANG) });
        expect(health.status).toBe(200);
        const run = await fetch(`${url}/runs/${run_id}`, { headers: auth, signal: AbortSignal.timeout(HANG) });
        expect(((await run.json()) as { run: { status: string } }).run.status).toBe('running');
      }
    } finally {
      child.signal('SIGTERM');
    }
    const { code, afterSignal } = await child.exited;
    expect(code, child.stderr()).toBe(0);
    expect(afterSignal).toBeLessThan(5_000);
    expect(child.stdout()).toMatch(/trader serve: stopped\n$/);
    const [run] = await listRuns(t);
    expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/stopped by SIGTERM/) });
  });
});
