/**
 * `trader parity` on recorded paper runs, on both backends: the demo database (seeded pack,
 * real BTC/ETH 2024 1h candles) in Full-Auto paper, two hourly runs of both symbols (the
 * first buys both, so there are paper fills). Replayed, they decide the same; then each cause
 * is provoked on the same database and undone: a module param changed through the pipeline
 * file path (plan_changed), a stored candle edited (candles_changed), a recorded decision
 * tampered with (unexplained), a run without its fingerprint (not verifiable). Last, a LIVE
 * entry for the first run's BTC intent is filled on the Binance simulator 20 bps above the
 * decision entry: the exchange statistics show it against the model, with the suggestion,
 * and `paper costs --from-parity`'s measurement sets the paper costs, audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runParity } from '../../backtest/parity/run-parity.ts';
import { measureCosts } from '../../backtest/parity/costs-from-parity.ts';
import { resolveWindow } from '../../backtest/parity/parity-load.ts';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { applyDocument } from '../../orchestrator/config-files/apply-document.ts';
import { pipelineTarget } from '../../orchestrator/config-files/slot-targets.ts';
import { startBinanceSimulator, type BinanceSimulator } from '../../simulator/binance-simulator.ts';
import { liveBrokerFor } from '../../trading/broker-for.ts';
import { setOperationalMode } from '../../trading/governance/operational-mode.ts';
import { paperCosts } from '../../trading/paper/paper-costs.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { demoDb, runOptions } from '../helpers/pipeline.ts';
import { btcMarket, liveOrder, liveStateSql, simPort } from '../live/live-fixtures.ts';

const window = { from: new Date('2024-03-05T00:00:00Z'), to: new Date('2024-03-06T00:00:00Z'), pipelineId: null };
const asOfs = ['2024-03-05T02:00:00Z', '2024-03-05T03:00:00Z'];
const yes = { confirm: async () => true };

/** The demo pipeline as a file, with breakout_v1's params. */
const pipelineDoc = (breakout: Record<string, unknown> = {}) => ({
  pipeline: 'default',
  stages: {
    context: [{ module: 'trend_volatility_v1' }],
    filter: [{ module: 'volatility_liquidity_v1' }],
    agent: [{ module: 'breakout_v1', ...(Object.keys(breakout).length ? { params: breakout } : {}) }],
    confluence: [{ module: 'n_of_m_v1' }],
    risk: [{ module: 'fixed_fractional_v1' }],
  },
});

describe.each(backends)('trader parity over recorded paper runs (%s)', (kind) => {
  let db: TestDb;
  const runIds: string[] = [];
  const parity = () => runParity(db, window, process.env);

  beforeAll(async () => {
    db = await demoDb(kind);
    await setOperationalMode(db, tradingScope('TEST'), 'full_auto', yes);
    for (const at of asOfs) {
      const s = await runPipeline(
        db,
        runOptions({ symbols: ['BTC/USDT', 'ETH/USDT'], asOf: new Date(at), historyBars: 300, env: process.env }),
      );
      runIds.push(s.run_id);
    }
  }, 120_000);
  afterAll(async () => db?.dispose());

  it('replays every recorded decision identically, and paper fills agree with the model', async () => {
    const r = await parity();
    expect(r).toMatchObject({
      ok: true,
      runs: 2,
      decisions: { checked: 4, identical: 4, different: 0, unverified: 0 },
      differences: [],
    });
    // The first run bought both markets on paper: the model itself, 5 bps slippage and 10 bps fee.
    expect(r.costs.paper).toMatchObject({
      fills: 2,
      slippage_bps: { mean: 5, p95: 5 },
      model_slippage_bps: { mean: 5, p95: 5 },
      fee_bps: { mean: 10, p95: 10 },
      optimistic_by_bps: 0,
    });
    expect(r.costs.exchange.fills).toBe(0);
    expect(r.costs.suggestion).toBeNull();
  });

  it('leaves an open window ending just after the newest recorded run, not at now', async () => {
    // The runs were decided in 2024: a window ending now would miss them all.
    const newest = new Date(asOfs[1]!).getTime() + 1;
    expect(await resolveWindow(db, {}, null)).toEqual({
      from: new Date(newest - 30 * 86_400_000),
      to: new Date(newest),
    });
    expect(await resolveWindow(db, { from: window.from }, 'default')).toEqual({
      from: window.from,
      to: new Date(newest),
    });
    expect(await resolveWindow(db, {}, 'no_runs_here')).toMatchObject({ to: expect.any(Date) });
    await expect(resolveWindow(db, { from: new Date('2030-01-01T00:00:00Z') }, null)).rejects.toThrow(
      /--from must be before --to/,
    );
  });

  it('names the module and the param when a param changed through the pipeline file', async () => {
    const apply = (doc: unknown) => applyDocument(db, pipelineTarget, doc, { ask: yes, show: () => {} });
    await apply(pipelineDoc({ stop_atr_mult: 2 }));
    try {
      const r = await parity();
      expect(r.ok).toBe(true);
      // Both entries of the first run have a wider stop now; the quiet second run does not trade either way.
      expect(r.differences.map((d) => [d.as_of, d.symbol, d.cause])).toEqual([
        ['2024-03-05T02:00:00.000Z', 'BTC/USDT', 'plan_changed'],
        ['2024-03-05T02:00:00.000Z', 'ETH/USDT', 'plan_changed'],
      ]);
      expect(r.differences[0]!.explanation).toBe("Module breakout_v1's param stop_atr_mult was 1.5, now 2.");
    } finally {
      await apply(pipelineDoc({ stop_atr_mult: 1.5 }));
    }
  });

  it('attributes a decision to an edited stored candle', async () => {
    // The newest bar the first run read for BTC: its close moves up 1 %, so the entry does too.
    const bar = "exchange = 'binance' and symbol = 'BTC/USDT' and timeframe = '1h' and ts = '2024-03-05T01:00:00Z'";
    const [before] = await db.query<{ close: number; high: number }>(`select close, high from candles where ${bar}`);
    await db.query(`update candles set close = close * 1.01, high = greatest(high, close * 1.01) where ${bar}`);
    try {
      const r = await parity();
      const first = r.differences.find((d) => d.run_id === runIds[0] && d.symbol === 'BTC/USDT');
      expect(first).toMatchObject({ cause: 'candles_changed' });
      expect(first!.explanation).toMatch(
        /^1 of \d+ blocks of 24 bars changed since the run, between .* and 2024-03-05T01:00Z \(the newest bar read: 2024-03-05T01:00Z\)\.$/,
      );
      expect(r.differences.every((d) => d.cause === 'candles_changed' && d.symbol === 'BTC/USDT')).toBe(true);
      expect(r.ok).toBe(true);
    } finally {
      await db.query(`update candles set close = $1, high = $2 where ${bar}`, [before!.close, before!.high]);
    }
  });

  it('calls a tampered recorded decision unexplained (not ok), and a run without fingerprint not verifiable', async () => {
    const tampered = `run_id = '${runIds[0]}' and symbol = 'ETH/USDT' and event = 'decision'`;
    const unprinted = `run_id = '${runIds[1]}' and symbol = 'BTC/USDT'`;
    await db.query(`update pipeline_log set outputs = jsonb_set(outputs, '{intents,0,qty}', '2') where ${tampered}`);
    const [print] = await db.query<{ recorded: unknown }>(`select recorded from run_fingerprints where ${unprinted}`);
    await db.query(`delete from run_fingerprints where ${unprinted}`);
    try {
      const r = await parity();
      expect(r).toMatchObject({
        ok: false,
        causes: { unexplained: 1, plan_changed: 0, candles_changed: 0, data_gap: 0 },
        decisions: { checked: 3, identical: 2, different: 1, unverified: 1 },
      });
      expect(r.differences[0]).toMatchObject({
        symbol: 'ETH/USDT',
        cause: 'unexplained',
        recorded: { intents: [{ qty: 2 }] },
        replayed: { intents: [{ qty: 1.1265432 }] },
      });
      expect(r.unverified).toEqual([
        {
          run_id: runIds[1],
          as_of: asOfs[1]!.replace('Z', '.000Z'),
          symbol: 'BTC/USDT',
          reason: 'not recorded by this run (it ran before runs recorded fingerprints)',
        },
      ]);
    } finally {
      await db.query(
        `update pipeline_log set outputs = jsonb_set(outputs, '{intents,0,qty}', '1.1265432') where ${tampered}`,
      );
      await db.query('insert into run_fingerprints (run_id, symbol, recorded) values ($1, $2, $3)', [
        runIds[1],
        'BTC/USDT',
        print!.recorded,
      ]);
    }
  });

  describe('LIVE fills on the exchange stand-in', () => {
    let sim: BinanceSimulator;
    afterAll(async () => sim?.close());

    it('measures slippage and fee against the model, suggests, and sets the paper costs from them (audited)', async () => {
      const [decision] = await db.query<{ outputs: { intents: { entry: number; stop: number }[] } }>(
        `select outputs from pipeline_log where run_id = $1 and symbol = 'BTC/USDT' and event = 'decision'`,
        [runIds[0]],
      );
      const { entry, stop } = decision!.outputs.intents[0]!;
      // The exchange fills 20 bps above the decision's entry (to the cent) and charges its 0.1 % taker fee in BTC.
      const price = Math.round(entry * 1.002 * 100) / 100;
      sim = await startBinanceSimulator({ markets: [{ ...btcMarket, price }], balances: { USDT: 10_000 } });
      await db.exec(liveStateSql);
      const live = tradingScope('LIVE');
      const broker = await liveBrokerFor(db, { port: await simPort(sim) });
      const order = liveOrder(runIds[0]!, {
        entry,
        stop,
        take_profits: [{ price: entry * 1.05, fraction: 1 }],
        as_of: new Date(asOfs[0]!),
      });
      const queued = await tradingTx(db, live, (tx) => broker.open(tx, order));
      if (!queued.ok) throw new Error(queued.message);
      expect((await broker.send(db, queued.client_order_id)).order.state).toBe('FILLED');

      const slippage = Math.round((price / entry - 1) * 1e6) / 100;
      const r = await parity();
      expect(r.costs.exchange).toMatchObject({
        fills: 1,
        slippage_bps: { mean: slippage, p95: slippage },
        fee_bps: { mean: 10, p95: 10 },
        model_slippage_bps: { mean: 5, p95: 5 },
        model_fee_bps: { mean: 10, p95: 10 },
      });
      expect(r.costs.exchange.optimistic_by_bps).toBeCloseTo(slippage - 5, 1);
      expect(r.costs.suggestion).toMatch(
        /^The paper fill model is optimistic by 1\d(\.\d+)? bps per fill against 1 LIVE fill\(s\): run `trader paper costs --from-parity`\.$/,
      );

      const m = await measureCosts(db, window);
      expect(m).toMatchObject({
        fills: 1,
        old: { paper_fee_bps: 10, paper_slippage_bps: 5 },
        new: { paper_fee_bps: 10, paper_slippage_bps: slippage },
      });
      const origin = { source: 'parity' as const, fills: m.fills, from: m.from, to: m.to };
      await paperCosts(db, tradingScope('TEST'), m.new, origin);
      const [audit] = await db.query<{ details: Record<string, unknown> }>(
        "select details from audit_trail where action_type = 'PAPER_COSTS_CHANGED' order by seq desc limit 1",
      );
      expect(audit!.details).toMatchObject({ source: 'parity', fills: 1, new: { paper_slippage_bps: slippage } });
    }, 60_000);
  });
});
