import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBackends, listRuns, ok, spawnTrader, type Target } from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

/**
 * An exchange that takes every request and never answers: a run that tops up its candles
 * waits on it, mid-run, with its 'running' row already written. The first request is the
 * sign that the run is under way, so the test kills it then, with no timing guess.
 */
async function silentExchange(): Promise<{ url: string; firstRequest: Promise<void>; close: () => Promise<void> }> {
  let seen!: () => void;
  const firstRequest = new Promise<void>((resolve) => (seen = resolve));
  const server = http.createServer(() => seen());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    firstRequest,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** kill -9 in the middle of a run: the very next command that reads runs shows it as crashed, not running. */
describe.each(cliBackends)('a killed run is shown as crashed by the next read (%s)', (kind) => {
  let t: Target;
  beforeAll(async () => {
    t = await demoTarget(kind);
  }, 240_000);
  afterAll(async () => t?.dispose());

  it('runs list and runs show say crashed, with the reason, right after the SIGKILL', async () => {
    const exchange = await silentExchange();
    try {
      // No --as-of: the run tops up to now, so it asks the (silent) exchange after writing its row.
      const child = spawnTrader(['run', '--symbols', 'BTC/USDT'], {
        ...t.env,
        TRADER_EXCHANGE_URL_BINANCE: exchange.url,
      });
      await exchange.firstRequest;
      process.kill(child.pid, 'SIGKILL');
      const killed = await child.done;
      expect(killed.code).toBeNull();

      const [run] = await listRuns(t);
      expect(run).toMatchObject({ status: 'crashed', symbols: ['BTC/USDT'] });
      expect(run!.error).toBe(`reaped: its process ${child.pid} on ${os.hostname()} is gone`);
      expect(run!.finished_at).not.toBeNull();

      const shown = await ok(t, 'runs', 'show', run!.run_id);
      expect(shown.stdout.split('\n')[0]).toMatch(new RegExp(`^run ${run!.run_id}\\s+crashed`));
    } finally {
      await exchange.close();
    }
  }, 180_000);
});
