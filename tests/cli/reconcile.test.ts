import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliBackend, adapterCliBackend, migratedTarget, runTrader, type Target } from '../helpers/cli.ts';
import { liveTestKeys, type LiveExchange, startLiveExchange } from '../helpers/live-exchange.ts';

/**
 * `trader reconcile` through the real bin (the adapter: the PIN on stdin, exit codes 3 and 0,
 * the loud status line); the use case itself is tested in process (tests/live/reconcile/).
 */

const pin = 'cli-reconcile-pin-1414';
const phrase = 'I ACCEPT THE RISK OF LIVE TRADING';

describe.each(adapterCliBackend)('trader reconcile (%s)', (kind: CliBackend) => {
  let t: Target;
  let exchange: LiveExchange;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    exchange = await startLiveExchange();
    t = await migratedTarget(kind);
    env = { ...t.env, TRADER_SYSTEM_MODE: 'LIVE', TRADER_EXCHANGE_URL_BINANCE: exchange.url };
    expect((await runTrader(['secrets', 'init'], t.env, undefined, `${pin}\n${pin}\n`)).code).toBe(0);
    const init = await runTrader(
      ['live', 'init', '--max-order-notional', '100', '--max-daily-notional', '500'],
      env,
      undefined,
      `${phrase}\n${pin}\n${liveTestKeys.apiKey}\n${liveTestKeys.secret}\n`,
    );
    expect(init.code, init.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
    await exchange?.close();
  });

  it('a deposit nothing explains: exit 3 and LIVE halted, loud in status; --accept with the PIN: exit 0, resumed', async () => {
    exchange.setBalance('USDT', 3_000);
    const r = await runTrader(['reconcile', '--json'], env, undefined, `${pin}\n`);
    expect(r.code, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      outcome: 'halted',
      unexplained: 1,
      differences: [{ kind: 'balance_mismatch', asset: 'USDT', local_value: 2500, exchange_value: 3000 }],
    });
    const status = await runTrader(['status'], env);
    expect(status.stdout).toMatch(
      /^!!! LIVE HALTED BY RECONCILIATION: 1 UNEXPLAINED DIFFERENCE\(S\) WITH THE EXCHANGE !!!$/m,
    );
    expect(status.stdout).toMatch(/^ {4}resolve it with `trader reconcile --accept` \(master PIN\)$/m);

    const accepted = await runTrader(['reconcile', '--accept', '--yes'], env, undefined, `${pin}\n`);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toMatch(/^accepted \d+ difference\(s\) with binance;/);
    expect((await runTrader(['status'], env)).stdout).not.toMatch(/HALTED/);
  }, 120_000);
});
