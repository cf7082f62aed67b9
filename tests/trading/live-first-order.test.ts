import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { actOnIntents, type IntentSource } from '../../trading/engine/act-on-intents.ts';
import { firstLiveOrderPending, recordFirstLiveApproval } from '../../trading/live-account/first-order.ts';
import { loadLiveStatus } from '../../trading/live-account/live-status.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { initLiveWithPin, liveInitInput, type LiveExchange, startLiveExchange } from '../helpers/live-exchange.ts';

/**
 * LIVE in full_auto: the risk gate holds every order to the account's caps (today's entries
 * included), and a pipeline's first order waits for approval. The live broker is another
 * helper's; here the engine is driven up to where an order would go to it.
 */

const live = tradingScope('LIVE');
const pin = 'live-pin-271828';
const runs = { p1: '00000000-0000-4000-8000-0000000000a1', p2: '00000000-0000-4000-8000-0000000000a2' };
let exchange: LiveExchange;
beforeAll(async () => {
  exchange = await startLiveExchange();
});
afterAll(async () => exchange?.close());

/** A BTC long worth `notional` USDT with its stop 2% below: risk well inside the medium profile for 2500 USDT. */
function intent(notional: number) {
  const entry = 50_000;
  const qty = notional / entry;
  return {
    symbol: 'BTC/USDT',
    side: 'buy' as const,
    qty,
    entry,
    stop: 49_000,
    take_profits: [{ price: 53_000, fraction: 1 }],
    leverage: 1,
    risk_pct: ((1_000 * qty) / 2_500) * 100,
    risk_amount: 1_000 * qty,
    notional,
  };
}

describe.each(backends)('LIVE caps and the first-order approval (%s)', (kind) => {
  let db: TestDb;
  const source = (run_id: string): IntentSource => ({
    exchange: 'binance',
    timeframe: '1h',
    category: 'major',
    run_id,
    strategy_id: null,
    strategy_version: null,
    as_of: new Date(),
  });
  const act = (notional: number, run_id = runs.p1) =>
    tradingTx(db, live, (tx) => actOnIntents(tx, live, [intent(notional)], source(run_id)));

  beforeEach(async () => {
    db = await freshDb(kind);
    await initLiveWithPin(db, liveInitInput(exchange), pin);
    await db.query("update trading_live.state set operational_mode = 'full_auto' where id = 1");
    for (const [pipeline, run_id] of Object.entries(runs))
      await db.query(
        `insert into pipeline_runs (run_id, pipeline_id, status, exchange, timeframe, symbols, as_of)
         values ($1, $2, 'running', 'binance', '1h', '{BTC/USDT}', now())`,
        [run_id, pipeline],
      );
  });
  afterEach(async () => db.dispose());

  it("full_auto holds a pipeline's first LIVE order as a proposal until a user approved one", async () => {
    const [held] = await act(80);
    expect(held).toMatchObject({ action: 'proposed', reasons: [] });
    const audit = await db.query<{ action_type: string }>(
      "select action_type from audit_trail where mode = 'LIVE' and (action_type like 'LIVE_FIRST%' or action_type like 'TRADE_PROPOSAL%') order by seq",
    );
    expect(audit.map((a) => a.action_type)).toEqual(['TRADE_PROPOSAL_GENERATED', 'LIVE_FIRST_ORDER_HELD']);

    await tradingTx(db, live, (tx) =>
      recordFirstLiveApproval(tx, live, { run_id: runs.p1, proposal_id: held!.proposal_id! }),
    );
    // Approved for p1 only: p1's next order goes on to execution, p2's first still waits.
    expect(await tradingTx(db, live, (tx) => firstLiveOrderPending(tx, live, runs.p1))).toBeNull();
    expect(await tradingTx(db, live, (tx) => firstLiveOrderPending(tx, live, runs.p2))).toBe('p2');
    expect(
      await tradingTx(db, tradingScope('TEST'), (tx) => firstLiveOrderPending(tx, tradingScope('TEST'), runs.p2)),
    ).toBeNull();
    expect((await loadLiveStatus(db, { now: new Date() })).approved_pipelines).toEqual(['p1']);
  });

  it('an order over the per-order cap, or one that takes the UTC day over the daily cap, is refused by the gate', async () => {
    const [over] = await act(150);
    expect(over).toMatchObject({ action: 'rejected' });
    expect(over!.reasons).toEqual([
      "notional 150.00 is over the per-order cap of 100.00, and today's LIVE entries with it (150.00) are within the daily cap of 500.00",
    ]);
    // Entries filled today (and one yesterday, which does not count) use the daily cap.
    const [pos] = await db.query<{ position_id: number }>(
      `insert into trading_live.positions (exchange, symbol, timeframe, category, side, qty, open_qty, entry_price, stop_price, margin, risk_amount, risk_pct, opened_at, checked_through)
       values ('binance', 'ETH/USDT', '1h', 'major', 'long', 1, 1, 3000, 2900, 3000, 100, 1, now(), now()) returning position_id`,
    );
    const trade = (price: number, ts: string) =>
      db.query(
        `insert into trading_live.trades (position_id, ts, exchange, symbol, side, kind, qty, price, fee, fee_asset, cash_delta)
         values ($1, ${ts}, 'binance', 'ETH/USDT', 'buy', 'entry', 1, $2, 0, 'USDT', 0)`,
        [pos!.position_id, price],
      );
    await trade(450, "date_trunc('day', now() at time zone 'UTC') at time zone 'UTC'");
    await trade(400, "date_trunc('day', now() at time zone 'UTC') at time zone 'UTC' - interval '1 second'");
    const [daily] = await act(80);
    expect(daily!.reasons).toEqual([
      "notional 80.00 is within the per-order cap of 100.00, and today's LIVE entries with it (530.00) are over the daily cap of 500.00",
    ]);
    expect((await loadLiveStatus(db, { now: new Date() })).used_today).toBe(450);
    expect(await act(50)).toMatchObject([{ action: 'proposed' }]);
  });
});
