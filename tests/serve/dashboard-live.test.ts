import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { upsertCandles } from '../../market/candles-repo.ts';
import { actOnIntents } from '../../trading/engine/act-on-intents.ts';
import { forgetLiveKeys, unlockWithPin } from '../../trading/live-account/unlock.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { initLiveWithPin, liveInitInput, type LiveExchange, startLiveExchange } from '../helpers/live-exchange.ts';
import { type Harness, serveOn } from './harness.ts';

/**
 * The dashboard in LIVE against the Binance simulator through the real ccxt: the status
 * bar says LIVE, a LIVE approval asks for the master PIN (a wrong one sends nothing), and
 * the right one sends the order, exactly as `trader proposals approve` does in LIVE; PANIC
 * asks its phrase, then the PIN even while the server holds the keys, then sells.
 */
const live = tradingScope('LIVE');
const pin = 'dashboard-live-pin-1618';
const run_id = '00000000-0000-4000-8000-0000000000d1';
const H = 3_600_000;

let exchange: LiveExchange;
beforeAll(async () => {
  exchange = await startLiveExchange();
});
afterAll(async () => exchange?.close());

describe.each(backends)('the dashboard in LIVE (%s)', (kind) => {
  let db: TestDb;
  let h: Harness;
  let cookie: string;
  let proposalId: number;

  beforeEach(async () => {
    db = await freshDb(kind);
    await initLiveWithPin(db, liveInitInput(exchange), pin);
    await db.query("update trading_live.state set operational_mode = 'semi_auto' where id = 1");
    await db.query(
      `insert into pipeline_runs (run_id, pipeline_id, status, exchange, timeframe, symbols, as_of)
       values ($1, 'default', 'succeeded', 'binance', '1h', '{BTC/USDT}', now())`,
      [run_id],
    );
    // The exchange's price and the newest closed candle agree: the approval is priced there.
    exchange.setPrice('BTC/USDT', 60_000);
    const open = Math.floor(Date.now() / H) * H - H;
    await upsertCandles(
      db,
      { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
      { ts: [open], open: [60_000], high: [60_000], low: [60_000], close: [60_000], volume: [1] },
    );
    const qty = 80 / 60_000;
    const [proposed] = await tradingTx(db, live, (tx) =>
      actOnIntents(
        tx,
        live,
        [
          {
            symbol: 'BTC/USDT',
            side: 'buy',
            qty,
            entry: 60_000,
            stop: 59_000,
            take_profits: [{ price: 62_000, fraction: 1 }],
            leverage: 1,
            risk_pct: ((1_000 * qty) / 2_500) * 100,
            risk_amount: 1_000 * qty,
            notional: 80,
          },
        ],
        {
          exchange: 'binance',
          timeframe: '1h',
          category: 'major',
          run_id,
          strategy_id: null,
          strategy_version: null,
          as_of: new Date(),
        },
      ),
    );
    expect(proposed).toMatchObject({ action: 'proposed' });
    proposalId = proposed!.proposal_id!;
    h = await serveOn(db, { env: { ...exchange.env, TRADER_SYSTEM_MODE: 'LIVE' } });
    const login = await fetch(`${h.server.url}/ui/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: h.token }),
      redirect: 'manual',
    });
    cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  });
  afterEach(async () => {
    forgetLiveKeys();
    await h?.server.close();
    await db?.dispose();
  });

  const page = async (path: string) => (await fetch(`${h.server.url}${path}`, { headers: { cookie } })).text();
  const approve = async (form: Record<string, string>) => {
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page(`/ui/proposals/${proposalId}`))![1]!;
    return fetch(`${h.server.url}/ui/proposals/${proposalId}`, {
      method: 'POST',
      body: new URLSearchParams({ csrf, verb: 'approve', ...form }),
      headers: { cookie },
      redirect: 'manual',
    });
  };
  const control = async (name: string, form: Record<string, string>) => {
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page('/ui/controls'))![1]!;
    return fetch(`${h.server.url}/ui/controls/${name}`, {
      method: 'POST',
      body: new URLSearchParams({ csrf, ...form }),
      headers: { cookie },
      redirect: 'manual',
    });
  };
  const marketOrders = () => exchange.orders().filter((o) => o.type === 'MARKET').length;

  it('says LIVE, asks the PIN on approval, sends nothing on a wrong one, and the order on the right one', async () => {
    const review = await page(`/ui/proposals/${proposalId}`);
    expect(review).toContain('status-bar mode-live');
    expect(review).toContain('sends a real order to the exchange');
    expect(review).toMatch(/<label for="pin">Master PIN<\/label>\s*<input id="pin" name="pin" type="password"/);
    const before = marketOrders();
    // As under `trader serve` with its key file: the server holds the keys, and the PIN is asked all the same.
    await unlockWithPin(db, { pin: async () => pin });

    const wrong = await approve({ pin: 'not-the-pin' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('Wrong PIN.');
    expect(marketOrders()).toBe(before);
    const [still] = await db.query<{ status: string }>(
      'select status from trading_live.proposals where proposal_id = $1',
      [proposalId],
    );
    expect(still!.status).toBe('pending');

    const right = await approve({ pin });
    expect(right.status, await right.clone().text()).toBe(303);
    expect(marketOrders()).toBe(before + 1);
    const [done] = await db.query<{ status: string; position_id: number | null }>(
      'select status, position_id from trading_live.proposals where proposal_id = $1',
      [proposalId],
    );
    expect(done).toMatchObject({ status: 'approved', position_id: expect.any(Number) });
    const reviews = await db.query<{ status: string; details: Record<string, unknown> }>(
      "select status, details from audit_trail where action_type = 'TRADE_PROPOSAL_REVIEW' and mode = 'LIVE' order by seq",
    );
    expect(reviews.at(-1)).toMatchObject({ status: 'SUCCESS', details: { confirmation: 'dashboard_form' } });
    // The PIN is in no page, no audit row and no session row.
    expect(JSON.stringify(await db.query('select details from audit_trail'))).not.toContain(pin);
    expect(await page('/ui/positions')).toMatch(/Orders on the exchange[\s\S]*entry[\s\S]*FILLED/);
  });

  it('PANIC: the phrase, then the master PIN although the server holds the keys, then every position sold', async () => {
    expect((await approve({ pin })).status).toBe(303);
    const setAction = await control('halt-action', { to: 'MARKET_CLOSE_ALL_AND_HALT' });
    expect(await setAction.text()).toContain('Type <code>CLOSE ALL AT MARKET</code> to confirm');
    const set = await control('halt-action', { to: 'MARKET_CLOSE_ALL_AND_HALT', a1: 'CLOSE ALL AT MARKET' });
    expect(set.status).toBe(303);
    expect(await page('/ui/controls')).toContain('PANIC: market close all &amp; halt');

    const warning = await (await control('panic', { reason: 'outage' })).text();
    expect(warning).toMatch(/PANIC in LIVE[\s\S]*All 1 open position\(s\) will be SOLD AT MARKET on the exchange/);
    const pinPage = await (await control('panic', { reason: 'outage', a1: 'CLOSE ALL AT MARKET' })).text();
    expect(pinPage).toMatch(/<label for="a2">Master PIN<\/label>/);
    const before = marketOrders();
    const wrong = await control('panic', { reason: 'outage', a1: 'CLOSE ALL AT MARKET', a2: 'not-the-pin' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('Wrong PIN.');
    const [calm] = await db.query<{ halted: boolean }>('select halted from trading_live.state');
    expect(calm!.halted).toBe(false);
    expect(marketOrders()).toBe(before);

    const right = await control('panic', { reason: 'outage', a1: 'CLOSE ALL AT MARKET', a2: pin });
    expect(right.status, await right.clone().text()).toBe(303);
    expect(marketOrders()).toBe(before + 1);
    expect(await db.query('select status from trading_live.positions')).toEqual([{ status: 'closed' }]);
    const [state] = await db.query<{ emergency: boolean; halt_reason: string }>(
      'select emergency, halt_reason from trading_live.state',
    );
    expect(state).toEqual({ emergency: true, halt_reason: 'PANIC: outage' });
    const [trigger] = await db.query<{ actor: string; details: Record<string, unknown> }>(
      "select actor, details from audit_trail where action_type = 'EMERGENCY_HALT_TRIGGERED' and status = 'CRITICAL'",
    );
    expect(trigger).toMatchObject({ actor: 'USER', details: { via: 'dashboard', note: 'outage' } });
    expect(await page('/ui')).toContain('EMERGENCY STOPPED');
    expect(JSON.stringify(await db.query('select details from audit_trail'))).not.toContain(pin);
  });
});
