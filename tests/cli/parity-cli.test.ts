/**
 * `trader parity` and `trader paper costs --from-parity` through the real bin: the JSON
 * report validates against its schema and an unexplained difference exits 1 with the report
 * still printed (the text is tested in tests/backtest/parity-compare.test.ts); measured LIVE
 * fills set the paper costs only after confirmation (refused without a terminal and without
 * --yes, nothing changed), audited as from parity.
 * The use cases run on both backends in tests/backtest/parity.test.ts; the bin's wiring does
 * not depend on the backend, so it runs on Postgres only (a spawn costs less there).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParityReport } from '../../backtest/parity/parity-schema.ts';
import { adapterCliBackend, expectCleanError, ok, runTrader, type Target } from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

const window = ['--from', '2024-03-05', '--to', '2024-03-06'];

describe.each(adapterCliBackend)('trader parity through the bin (%s)', (kind) => {
  let t: Target;
  let runId: string;
  let entry: number;
  const costs = async () =>
    (await t.sql!`select paper_fee_bps::float8 as fee, paper_slippage_bps::float8 as slip from trading_test.state`)[0];

  beforeAll(async () => {
    t = await demoTarget(kind);
    // Full-Auto paper, so the run's entries fill (the mode command itself is tested elsewhere).
    await t.sql!`update trading_test.state set operational_mode = 'full_auto'`;
    const run = await ok(
      t,
      'run',
      '--symbols',
      'BTC/USDT,ETH/USDT',
      '--as-of',
      '2024-03-05T02:00:00Z',
      '--offline',
      '--json',
    );
    runId = (JSON.parse(run.stdout) as { run_id: string }).run_id;
    const [d] =
      await t.sql!`select outputs from pipeline_log where run_id = ${runId} and symbol = 'BTC/USDT' and event = 'decision'`;
    entry = (d!.outputs as { intents: { entry: number }[] }).intents[0]!.entry;
  }, 120_000);
  afterAll(async () => t?.dispose());

  it('prints a JSON report valid against its schema, and exits 1 on an unexplained difference', async () => {
    const where = t.sql!`run_id = ${runId} and symbol = 'ETH/USDT' and event = 'decision'`;
    await t.sql!`update pipeline_log set outputs = jsonb_set(outputs, '{intents,0,side}', '"sell"') where ${where}`;
    try {
      const r = await runTrader(['parity', ...window, '--pipeline', 'default', '--json'], t.env);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toBe('');
      const report = ParityReport.parse(JSON.parse(r.stdout));
      expect(report).toMatchObject({
        ok: false,
        runs: 1,
        pipeline_id: 'default',
        decisions: { checked: 2, identical: 1, different: 1, unverified: 0 },
        causes: { unexplained: 1 },
        differences: [{ symbol: 'ETH/USDT', cause: 'unexplained', recorded: { intents: [{ side: 'sell' }] } }],
      });
      // ETH's paper buy no longer matches its (tampered) recorded sell: only BTC's fill has a decision to compare with.
      expect(report.costs.paper.fills).toBe(1);
    } finally {
      await t.sql!`update pipeline_log set outputs = jsonb_set(outputs, '{intents,0,side}', '"buy"') where ${where}`;
    }
  });

  it('sets the paper costs from measured LIVE fills only when confirmed, audited as from parity', async () => {
    // What the live broker books for a filled entry of this run: 30 bps above the decision's entry, a 0.1 % fee in USDT.
    const price = entry * 1.003;
    await t.sql!`insert into trading_live.orders (client_order_id, exchange, symbol, side, type, role, qty, state, filled_qty, avg_price, run_id)
      values ('parity-test-1', 'binance', 'BTC/USDT', 'buy', 'market', 'entry', 0.01, 'FILLED', 0.01, ${price}, ${runId})`;
    await t.sql!`insert into trading_live.order_fills (exchange, exchange_trade_id, client_order_id, qty, price, fee, fee_asset, ts)
      values ('binance', 't-1', 'parity-test-1', 0.01, ${price}, ${0.01 * price * 0.001}, 'USDT', '2024-03-05T02:00:01Z')`;

    const refused = await runTrader(['paper', 'costs', '--from-parity', ...window], t.env);
    expectCleanError(refused, 2, /^trader: This change needs confirmation; run it in a terminal or add --yes\.$/);
    expect(await costs()).toEqual({ fee: 10, slip: 5 });

    const r = await runTrader(['paper', 'costs', '--from-parity', ...window, '--yes', '--json'], t.env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: true,
      mode: 'TEST',
      source: 'parity',
      fills: 1,
      old: { paper_fee_bps: 10, paper_slippage_bps: 5 },
      paper_fee_bps: 10,
      paper_slippage_bps: 30,
    });
    expect(await costs()).toEqual({ fee: 10, slip: 30 });
    const audits =
      await t.sql!`select status, details from audit_trail where action_type = 'PAPER_COSTS_CHANGED' order by seq`;
    expect(audits.map((a) => a.status)).toEqual(['FAILURE', 'SUCCESS']);
    expect(audits[1]!.details).toMatchObject({
      source: 'parity',
      fills: 1,
      from: '2024-03-05T00:00:00.000Z',
      to: '2024-03-06T00:00:00.000Z',
      old: { paper_fee_bps: 10, paper_slippage_bps: 5 },
      new: { paper_fee_bps: 10, paper_slippage_bps: 30 },
    });
  });
});
