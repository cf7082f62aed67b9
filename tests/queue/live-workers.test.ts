import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.ts';
import { openDistributedRun } from '../../engine/run/distributed/open-run.ts';
import { decideSymbolJob, settleDeadSymbol } from '../../engine/run/distributed/symbol-job.ts';
import type { RunSummary } from '../../engine/run/run-summary.ts';
import { Sandbox } from '../../sandbox/sandbox.ts';
import { type BinanceSimulator, startBinanceSimulator } from '../../simulator/binance-simulator.ts';
import { liveBrokerFor } from '../../trading/broker-for.ts';
import type { LiveBroker } from '../../trading/live/live-broker.ts';
import type { TestDb } from '../helpers/db.ts';
import { demoAsOf, demoDb, runOptions } from '../helpers/pipeline.ts';
import { killChildAt } from '../live/kill-child.ts';
import { btcMarket, liveStateSql, simPort } from '../live/live-fixtures.ts';

/**
 * LIVE through workers (issue 21): a distributed LIVE run in Full-Auto on Postgres, the
 * symbols' entries sent by worker jobs to the Binance simulator on 127.0.0.1 through the real
 * ccxt. A job killed with kill -9 after its decision committed, or after the exchange
 * answered its entry, is retried: each entry reaches the exchange once, and the run closes
 * with every entry executed. The demo's BTC and ETH breakouts of 5 March 2024 are the decisions.
 */
const child = path.join(packageRoot, 'tests/fixtures/scripts/symbol-job-child.ts');
const symbols = ['BTC/USDT', 'ETH/USDT'];
// Each test starts one or two child processes (TypeScript compiled on start, ccxt, a module
// sandbox): on a loaded 2-core CI machine that alone has taken a minute.

describe('LIVE symbols sent by workers (postgres)', () => {
  let db: TestDb;
  let sim: BinanceSimulator;
  let broker: LiveBroker;
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;
  let runId: string;

  beforeEach(async () => {
    db = await demoDb('postgres');
    // Full-Auto, its first order approved long ago: entries go out on their own. Half a
    // percent at risk per trade: both entries fit in the account, whichever is sent first.
    await db.exec(`${liveStateSql};
      update trading_live.risk_profiles set risk_per_trade_pct = 0.5 where profile = 'medium';
      insert into pipeline_runs (run_id, pipeline_id, status, exchange, timeframe, symbols, as_of)
        values ('00000000-0000-4000-8000-000000000001', 'default', 'succeeded', 'binance', '1h', '{}', now());
      insert into trading_live.proposals (expires_at, exchange, symbol, side, qty, entry, stop, risk_pct, leverage, notional, drawdown_pct, intent, as_of)
        values (now(), 'binance', 'BTC/USDT', 'buy', 1, 2, 1, 1, 1, 2, 0, '{}', now());
      insert into trading_live.first_order_approvals (pipeline_id, proposal_id) select 'default', min(proposal_id) from trading_live.proposals`);
    // The sample ends at the decision: the just-in-time checks value open positions at the
    // latest stored close, which must be the decision's, as it is when a run decides now.
    await db.query('delete from candles where ts >= $1', [demoAsOf]);
    // The exchange's last prices are the closes the run decides on.
    const closes = await db.query<{ symbol: string; close: number }>(
      `select symbol, close::float8 as close from candles where exchange = 'binance' and timeframe = '1h' and ts = $1`,
      [new Date(demoAsOf.getTime() - 3_600_000)],
    );
    sim = await startBinanceSimulator({
      markets: closes.map((c) => ({ ...btcMarket, symbol: c.symbol, price: c.close, maxQty: 9000 })),
      balances: { USDT: 10_000 },
    });
    broker = await liveBrokerFor(db, { port: await simPort(sim) });
    sandbox = new Sandbox();
    env = { ...process.env, DATABASE_URL: db.url, TRADER_SYSTEM_MODE: 'LIVE', TRADER_ORDER_LEASE_WAIT_SECONDS: '5' };
    runId = await openDistributedRun(db, runOptions({ symbols, env, liveBroker: broker }), {
      enqueueSymbols: async () => undefined,
    });
  }, 120_000);
  afterEach(async () => {
    await sandbox?.close();
    await sim?.close();
    await db?.dispose();
  });

  const job = (symbol: string, attempt: number) =>
    decideSymbolJob(db, { run_id: runId, symbol, mode: 'LIVE', env, liveBroker: async () => broker }, sandbox, {
      worker_id: `w${attempt}`,
      attempt,
    });
  const killJobAt = (symbol: string, step: string) =>
    killChildAt(child, [sim.url, sim.apiKey, sim.secret, runId, symbol, step], env, step);
  const entryOf = async (symbol: string) =>
    (
      await db.query<{ client_order_id: string; state: string; attempts: number; last_error: string | null }>(
        "select client_order_id, state, attempts, last_error from trading_live.orders where symbol = $1 and role = 'entry'",
        [symbol],
      )
    )[0]!;
  const decisionStatus = async (symbol: string) =>
    (
      await db.query<{ status: string }>('select status from run_decisions where run_id = $1 and symbol = $2', [
        runId,
        symbol,
      ])
    )[0]?.status;
  const closedRun = async () =>
    (
      await db.query<{ status: string; summary: RunSummary }>(
        'select status, summary from pipeline_runs where run_id = $1',
        [runId],
      )
    )[0]!;
  const actionsOf = (summary: RunSummary) =>
    summary.symbols.map((s) => [s.symbol, (s.actions ?? []).map((a) => a.action)]);

  /** Every entry of the run reached the exchange exactly once; no lease is left behind. */
  async function expectEachEntrySentOnce() {
    for (const symbol of symbols) {
      const entry = await entryOf(symbol);
      expect({
        symbol,
        state: entry.state,
        last_error: entry.last_error,
        posts: sim.orderPosts(entry.client_order_id),
      }).toEqual({
        symbol,
        state: 'FILLED',
        last_error: null,
        posts: 1,
      });
    }
    expect(await db.query('select * from trading_live.order_leases')).toEqual([]);
  }

  it('killed after its decision committed, before the entry left: the retry sends it once; the run closes', async () => {
    await killJobAt('BTC/USDT', 'sending');
    expect(await decisionStatus('BTC/USDT')).toBe('sending');
    const pending = await entryOf('BTC/USDT');
    expect(pending).toMatchObject({ state: 'PENDING_SUBMIT', attempts: 0 });
    expect(sim.orderPosts(pending.client_order_id)).toBe(0);
    expect(await job('ETH/USDT', 1)).toBe('decided');
    // Every symbol has its decision, but BTC's entry is not sent: the run stays open.
    expect((await closedRun()).status).toBe('running');
    expect(await job('BTC/USDT', 2)).toBe('decided');
    expect(await decisionStatus('BTC/USDT')).toBe('decided');
    await expectEachEntrySentOnce();
    const run = await closedRun();
    expect(run.status).toBe('succeeded');
    expect(actionsOf(run.summary)).toEqual([
      ['BTC/USDT', ['executed']],
      ['ETH/USDT', ['executed']],
    ]);
    // A third attempt (a duplicate job) finds the symbol settled and sends nothing.
    expect(await job('BTC/USDT', 3)).toBe('run_closed');
    await expectEachEntrySentOnce();
  }, 120_000);

  it('killed after the exchange filled an entry: the retry adopts the fill; one no retry could send: the dead letter settles it', async () => {
    await killJobAt('BTC/USDT', 'answered');
    const btc = await entryOf('BTC/USDT');
    expect(btc).toMatchObject({ state: 'PENDING_SUBMIT', attempts: 1 });
    expect(sim.orders('BTC/USDT').filter((o) => o.clientOrderId === btc.client_order_id)).toHaveLength(1);
    expect(await job('BTC/USDT', 2)).toBe('decided');
    const filled = await entryOf('BTC/USDT');
    expect({ state: filled.state, posts: sim.orderPosts(btc.client_order_id) }).toEqual({ state: 'FILLED', posts: 1 });
    // ETH's job dies before its entry leaves, every time: its retries spent, the dead letter settles it.
    await killJobAt('ETH/USDT', 'sending');
    const who = { worker_id: 'w9', attempt: 1 };
    expect(
      await settleDeadSymbol(db, { run_id: runId, symbol: 'ETH/USDT', lastError: 'the exchange timed out' }, who),
    ).toBe('decided');
    const eth = await entryOf('ETH/USDT');
    expect(eth).toMatchObject({ state: 'PENDING_SUBMIT', attempts: 0 });
    expect(sim.orderPosts(eth.client_order_id)).toBe(0);
    const positions = await db.query<{ symbol: string }>(
      "select symbol from trading_live.positions where status = 'open'",
    );
    expect(positions.map((p) => p.symbol)).toEqual(['BTC/USDT']);
    const run = await closedRun();
    expect(
      run.summary.symbols.map((x) => [x.symbol, x.actions?.map((a) => [a.action, a.reasons.at(-1) ?? null])]),
    ).toEqual([
      ['BTC/USDT', [['executed', null]]],
      [
        'ETH/USDT',
        [
          [
            'sent',
            "its worker could not finish sending it (the exchange timed out); the next LIVE run's recovery settles the order",
          ],
        ],
      ],
    ]);
  }, 120_000);
});
