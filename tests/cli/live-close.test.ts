import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliBackend,
  adapterCliBackend,
  expectCleanError,
  migratedTarget,
  runTrader,
  type Target,
} from '../helpers/cli.ts';
import { liveTestKeys, type LiveExchange, startLiveExchange } from '../helpers/live-exchange.ts';

/**
 * `trader live close` through the real bin (the adapter: TRADER_SYSTEM_MODE, the PIN piped
 * on stdin, exit codes, one sentence); the use case itself is tested in process
 * (tests/live/close-by-user-live.test.ts).
 */

const pin = 'cli-live-close-pin-2718';
const phrase = 'I ACCEPT THE RISK OF LIVE TRADING';

describe.each(adapterCliBackend)('trader live close (%s)', (kind: CliBackend) => {
  let t: Target;
  let exchange: LiveExchange;
  let env: NodeJS.ProcessEnv;
  let id: string;
  const orderPosts = () => exchange.requests.filter((r) => r.method === 'POST').length;
  const position = async () =>
    (await t.sql!.unsafe(`select status, close_reason from trading_live.positions where position_id = ${id}`))[0];

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
    // The 0.01 BTC the exchange (and the recorded wallet) holds, as an open LIVE position without a stop.
    const [row] = await t.sql!.unsafe(
      `insert into trading_live.positions (exchange, symbol, timeframe, category, side, qty, open_qty, entry_price,
         stop_price, margin, risk_amount, risk_pct, opened_at, checked_through)
       values ('binance', 'BTC/USDT', '1h', 'major', 'long', 0.01, 0.01, 60000, 59000, 600, 10, 0.1, now(), now())
       returning position_id`,
    );
    id = String(row!.position_id);
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
    await exchange?.close();
  });

  it('refuses in TEST, and on a wrong PIN sends nothing (exit 2, one sentence)', async () => {
    expectCleanError(
      await runTrader(['live', 'close', id, '--yes'], t.env, undefined, `${pin}\n`),
      2,
      /^trader: A LIVE position is closed on the exchange with TRADER_SYSTEM_MODE=LIVE; in TEST close a paper position with `trader paper close`\.$/,
    );
    expectCleanError(
      await runTrader(['live', 'close', id, '--yes'], env, undefined, 'not-the-pin\n'),
      2,
      /^trader: Wrong PIN\.$/,
    );
    expect(orderPosts()).toBe(0);
    expect(await position()).toEqual({ status: 'open', close_reason: null });
    const audited = await t.sql!.unsafe(
      "select status from audit_trail where action_type = 'POSITION_CLOSE_REQUESTED' order by seq",
    );
    expect(audited.map((a) => a.status)).toEqual(['FAILURE']);
  }, 60_000);

  it('trader positions in LIVE names the equity reconciled with the exchange, and that no candle has closed since the entry', async () => {
    const r = await runTrader(['positions'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^LIVE book at \S+: not reconciled with the exchange yet \(`trader reconcile`\)\nMarked at the cached candles: equity /,
    );
    expect(r.stdout).toMatch(new RegExp(`#${id} +BTC/USDT +long .* none since entry `));
    const json = JSON.parse((await runTrader(['positions', '--json'], env)).stdout);
    expect(json).toMatchObject({ mode: 'LIVE', reconciled: { equity: 0, as_of: null } });
  }, 60_000);

  it('with the PIN piped on stdin: sold at market on the exchange, the fills in --json', async () => {
    const r = await runTrader(['live', 'close', id, '--yes', '--json'], env, undefined, `${pin}\n`);
    expect(r.code, r.stderr).toBe(0);
    const price = exchange.price('BTC/USDT');
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: true,
      position_id: Number(id),
      outcome: 'closed',
      sold_qty: 0.01,
      avg_price: expect.closeTo(price, 6),
      fills: [{ kind: 'close', qty: 0.01, price, fee_asset: 'USDT' }],
    });
    expect(exchange.orders().map((o) => [o.type, o.side, o.origQty, o.status])).toEqual([
      ['MARKET', 'SELL', 0.01, 'FILLED'],
    ]);
    expect(await position()).toEqual({ status: 'closed', close_reason: 'close' });
  }, 60_000);
});
