/**
 * The pure half of `trader parity` (backtest/parity/parity-compare.ts, fill-costs.ts): when
 * two decisions are the same, which cause explains a difference (most specific first), the
 * sentences that name the module, param and bars, and the fill statistics with known numbers.
 */
import { describe, expect, it } from 'vitest';
import {
  attribute,
  candleChange,
  type Current,
  decisionDifference,
  planChange,
} from '../../backtest/parity/parity-compare.ts';
import { costStats, costSuggestion, orderCost, slippageBps } from '../../backtest/parity/fill-costs.ts';
import { candlePrint, type InputsPrint, type RunFingerprint } from '../../engine/run/run-fingerprint.ts';
import { type DecisionShape, ParityReport } from '../../backtest/parity/parity-schema.ts';
import { renderParity } from '../../orchestrator/cli/commands/parity-text.ts';

const H = 3_600_000;
const t0 = Date.UTC(2024, 2, 1);

function series(n: number, edit?: { at: number; close: number }) {
  const ts = Array.from({ length: n }, (_, i) => t0 + i * H);
  const close = ts.map((_, i) => (i === edit?.at ? edit.close : 100 + i));
  return {
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
    ts,
    open: close.map((c) => c - 1),
    high: close.map((c) => c + 2),
    low: close.map((c) => c - 2),
    close,
    volume: close.map(() => 10),
  };
}

const health = (over: Partial<InputsPrint['data_health']> = {}) => ({
  ok: true,
  bars: 60,
  gaps: 0,
  missing_bars: 0,
  duplicates: 0,
  bad_values: 0,
  ohlc_errors: 0,
  off_grid: 0,
  first_corrupt_ts: null,
  zero_volume_streak: 0,
  last_close_ts: t0 + 60 * H,
  stale: false,
  issues: [],
  ...over,
});

const slot = (module_id: string, params: Record<string, unknown> = {}) => ({
  module_id,
  version: '1.0.0',
  stage: 'agent',
  sha256: `sha-${module_id}`,
  graph_sha256: `graph-${module_id}`,
  params,
  shadow: false,
  when: null as unknown,
});
const plan = (
  slots = [slot('trend_v1'), slot('breakout_v1', { lookback: 20 })],
  strategy_version: number | null = null,
) => ({
  pipeline_id: 'default',
  strategy_id: null,
  strategy_version,
  slots,
});

function fingerprint(over: Partial<RunFingerprint> = {}): RunFingerprint {
  return {
    version: 1,
    plan: plan(),
    window: { source: 'binance', history_bars: 60, min_bars: 10, max_age_bars: 0 },
    candles: candlePrint(series(60)),
    inputs: {
      run: {
        run_id: '00000000-0000-4000-8000-000000000001',
        pipeline_id: 'default',
        strategy_id: null,
        system_mode: 'TEST',
        operational_mode: 'full_auto',
        risk_profile: 'medium',
        exchange: 'binance',
        timeframe: '1h',
        as_of: new Date(t0 + 60 * H).toISOString(),
        trigger: 'cli',
      },
      instrument: {
        exchange: 'binance',
        symbol: 'BTC/USDT',
        base: 'BTC',
        quote: 'USDT',
        category: 'major',
        price_precision: 2,
        amount_precision: 5,
        tick_size: 0.01,
        min_qty: 0.00001,
        min_notional: 5,
      },
      macro: null,
      account: { equity: 10_000, free_balance: 10_000, positions: { open: [], recent_closed: [] } },
      max_risk_pct: 1,
      max_leverage: 1,
      costs: { fee_rate: 0.001, slippage_rate: 0.0005 },
      data_health: health(),
    },
    data_error: null,
    ...over,
  };
}

const now = (over: Partial<Current> = {}): Current => {
  const s = series(60);
  return { plan: plan(), planProblem: null, candles: candlePrint(s), ts: s.ts, health: health(), ...over };
};

const intent = (qty: number, side: 'buy' | 'sell' = 'buy') => ({ side, entry: 100, stop: 95, qty });
const trade = (qty: number): DecisionShape => ({ outcome: 'trade_intent', intents: [intent(qty)] });

describe('decisionDifference', () => {
  it('agrees on the same kind and intents, within float noise only', () => {
    expect(decisionDifference(trade(0.5), trade(0.5 * (1 + 1e-12)))).toBeNull();
    expect(decisionDifference({ outcome: 'no_trade', intents: [] }, { outcome: 'no_trade', intents: [] })).toBeNull();
    expect(decisionDifference(trade(0.5), trade(0.5000001))).toBe("intent 1's qty was 0.5, now 0.5000001");
    expect(decisionDifference(trade(0.5), { outcome: 'no_trade', intents: [] })).toBe(
      'trade_intent (buy 0.5 at 100, stop 95) then, no_trade now',
    );
    expect(decisionDifference(trade(1), { outcome: 'trade_intent', intents: [intent(1, 'sell')] })).toBe(
      'intent 1 was a buy, now a sell',
    );
  });
});

describe('planChange', () => {
  it('names the module and the param, the version, the file, the strategy version, a module gone or added', () => {
    expect(planChange(plan(), plan())).toBeNull();
    expect(planChange(plan(), plan([slot('trend_v1'), slot('breakout_v1', { lookback: 10 })]))).toBe(
      "module breakout_v1's param lookback was 20, now 10",
    );
    expect(planChange(plan(), plan([slot('trend_v1'), slot('breakout_v1', { lookback: 20, extra: true })]))).toBe(
      "module breakout_v1's param extra was unset, now true",
    );
    expect(
      planChange(plan(), plan([slot('trend_v1'), { ...slot('breakout_v1', { lookback: 20 }), version: '1.1.0' }])),
    ).toBe('module breakout_v1 was version 1.0.0, now 1.1.0');
    expect(
      planChange(
        plan(),
        plan([slot('trend_v1'), { ...slot('breakout_v1', { lookback: 20 }), sha256: 'abcdef0123456789' }]),
      ),
    ).toBe("module breakout_v1's file changed (sha256 sha-breakout then, abcdef012345 now)");
    expect(planChange(plan(), plan(plan().slots, 2))).toBe("the strategy's active version was none, now 2");
    expect(
      planChange(plan(), plan([slot('trend_v1'), { ...slot('breakout_v1', { lookback: 20 }), when: { key: 'x' } }])),
    ).toBe("module breakout_v1's run_when condition changed");
    expect(planChange(plan(), plan([slot('trend_v1')]))).toBe(
      'module breakout_v1 (agent) ran then and is no longer in the plan',
    );
    expect(planChange(plan(), plan([...plan().slots, slot('rsi_v1')]))).toBe(
      'module rsi_v1 (agent) is in the plan now and was not then',
    );
  });
});

describe('candleChange', () => {
  it('names the block of bars that changed, or the window that moved', () => {
    const then = candlePrint(series(60));
    const edited = series(60, { at: 30, close: 999 });
    expect(candleChange(then, candlePrint(series(60)), series(60).ts)).toBeNull();
    expect(candleChange(then, candlePrint(edited), edited.ts)).toBe(
      '1 of 3 blocks of 24 bars changed since the run, between 2024-03-02T00:00Z and 2024-03-02T23:00Z (the newest bar read: 2024-03-03T11:00Z)',
    );
    const shorter = series(59);
    expect(candleChange(then, candlePrint(shorter), shorter.ts)).toBe(
      'the run read 60 bars to 2024-03-03T11:00Z, the store now gives 59 to 2024-03-03T10:00Z',
    );
    expect(candleChange(then, null, [])).toBe('the run read 60 bars; the store has none now');
  });
});

describe('attribute: the most specific cause first', () => {
  const edited = series(60, { at: 59, close: 200 });
  const changedCandles = { candles: candlePrint(edited), ts: edited.ts };

  it('plan_changed before anything else, also when the plan cannot be built', () => {
    const p = plan([slot('trend_v1'), slot('breakout_v1', { lookback: 5 })]);
    expect(attribute(fingerprint(), now({ plan: p, ...changedCandles }))).toEqual({
      cause: 'plan_changed',
      explanation: "Module breakout_v1's param lookback was 20, now 5.",
    });
    const gone = 'The plan of pipeline default cannot be built now: module breakout_v1: is not registered.';
    expect(attribute(fingerprint(), now({ plan: null, planProblem: gone }))).toEqual({
      cause: 'plan_changed',
      explanation: gone,
    });
  });

  it('data_gap when the run saw missing bars (or none) and the candles differ now', () => {
    const gappy = fingerprint();
    gappy.inputs!.data_health = health({ gaps: 1, missing_bars: 3, ok: false });
    expect(attribute(gappy, now(changedCandles))).toMatchObject({
      cause: 'data_gap',
      explanation: expect.stringMatching(/^The run saw 1 gap\(s\), 3 missing bar\(s\); 1 of 3 blocks/),
    });
    expect(attribute(fingerprint({ candles: null, inputs: null, data_error: 'No 1h candles' }), now())).toEqual({
      cause: 'data_gap',
      explanation: 'The run had no candles to decide on (No 1h candles); the store holds 60 now.',
    });
    // The same gap then and now, the same candles: a gap explains nothing.
    expect(attribute(gappy, now({ health: health({ gaps: 1, missing_bars: 3 }) })).cause).toBe('unexplained');
  });

  it('candles_changed on healthy data, unexplained when nothing recorded changed', () => {
    expect(attribute(fingerprint(), now(changedCandles))).toMatchObject({
      cause: 'candles_changed',
      explanation: expect.stringMatching(/^1 of 3 blocks of 24 bars changed since the run/),
    });
    expect(attribute(fingerprint(), now()).cause).toBe('unexplained');
  });
});

describe('fill costs against the model', () => {
  const model = { fee_rate: 0.001, slippage_rate: 0.0005 };

  it('signs slippage against the trader, prices fees over notional', () => {
    expect(slippageBps('buy', 100, 100.2)).toBeCloseTo(20, 9);
    expect(slippageBps('sell', 100, 99.9)).toBeCloseTo(10, 9);
    expect(slippageBps('buy', 100, 99.9)).toBeCloseTo(-10, 9);
    const c = orderCost({ side: 'buy', reference: 100, qty: 2, avg_price: 100.2, fee_quote: 0.3006, model });
    expect(c.slippage_bps).toBeCloseTo(20, 9);
    expect(c.fee_bps).toBeCloseTo(15, 9);
    expect(c.model_slippage_bps).toBeCloseTo(5, 9);
    expect(c.model_fee_bps).toBeCloseTo(10, 9);
  });

  it('means and nearest-rank p95 over 20 fills; a suggestion only when reality is worse by more than half a bp', () => {
    const costs = Array.from({ length: 20 }, (_, i) =>
      orderCost({
        side: 'buy',
        reference: 100,
        qty: 1,
        avg_price: 100 * (1 + (i + 1) / 1e4),
        fee_quote: 0.1 * (1 + (i + 1) / 1e4),
        model,
      }),
    );
    const s = costStats(costs);
    expect(s).toMatchObject({
      fills: 20,
      slippage_bps: { mean: 10.5, p95: 19 },
      fee_bps: { mean: 10, p95: 10 },
      model_slippage_bps: { mean: 5, p95: 5 },
      model_fee_bps: { mean: 10, p95: 10 },
      optimistic_by_bps: 5.5,
    });
    expect(costSuggestion(s)).toBe(
      'The paper fill model is optimistic by 5.5 bps per fill against 20 LIVE fill(s): run `trader paper costs --from-parity`.',
    );
    const agreeing = costStats([
      orderCost({ side: 'sell', reference: 100, qty: 1, avg_price: 99.95, fee_quote: 0.09995, model }),
    ]);
    expect(agreeing.optimistic_by_bps).toBe(0);
    expect(costSuggestion(agreeing)).toBeNull();
    expect(costStats([])).toEqual({
      fills: 0,
      slippage_bps: null,
      fee_bps: null,
      model_slippage_bps: null,
      model_fee_bps: null,
      optimistic_by_bps: null,
    });
  });
});

describe('the text report', () => {
  it('puts the counts first, then each difference with its cause and sentence, then the costs and the verdict', () => {
    const spread = (mean: number) => ({ mean, p95: mean });
    const report = ParityReport.parse({
      ok: false,
      from: '2024-03-05T00:00:00.000Z',
      to: '2024-03-06T00:00:00.000Z',
      pipeline_id: 'default',
      runs: 2,
      decisions: { checked: 4, identical: 2, different: 2, unverified: 1 },
      causes: { candles_changed: 1, plan_changed: 0, data_gap: 0, unexplained: 1 },
      differences: [
        {
          run_id: '00000000-0000-4000-8000-000000000001',
          as_of: '2024-03-05T02:00:00.000Z',
          pipeline_id: 'default',
          symbol: 'ETH/USDT',
          cause: 'unexplained',
          explanation: 'Same plan, same candles.',
          recorded: trade(2),
          replayed: trade(1),
        },
      ],
      unverified: [
        {
          run_id: '00000000-0000-4000-8000-000000000002',
          as_of: '2024-03-05T03:00:00.000Z',
          symbol: 'BTC/USDT',
          reason: 'not recorded by this run',
        },
      ],
      costs: {
        paper: costStats([]),
        exchange: {
          fills: 1,
          slippage_bps: spread(20),
          fee_bps: spread(10),
          model_slippage_bps: spread(5),
          model_fee_bps: spread(10),
          optimistic_by_bps: 15,
        },
        suggestion:
          'The paper fill model is optimistic by 15 bps per fill against 1 LIVE fill(s): run `trader paper costs --from-parity`.',
      },
    });
    expect(renderParity(report).split('\n')).toEqual([
      'Parity 2024-03-05T00:00Z .. 2024-03-06T00:00Z, pipeline default: 2 run(s), 4 decision(s) re-decided',
      '  identical 2, different 2 (candles_changed 1, unexplained 1), not verifiable 1',
      '',
      'Differences:',
      'as_of              symbol    run       cause        recorded                              replayed                              why',
      '2024-03-05T02:00Z  ETH/USDT  00000000  unexplained  trade_intent (buy 2 at 100, stop 95)  trade_intent (buy 1 at 100, stop 95)  Same plan, same candles.',
      '',
      'Not verifiable:',
      '  2024-03-05T03:00Z BTC/USDT run 00000000: not recorded by this run',
      '',
      'Fill costs against the paper fill model:',
      '  paper (TEST): no filled entry orders',
      '  exchange (LIVE): 1 filled entry order(s); bps, mean / p95 (positive = worse for the trader)',
      '              reality  model',
      '    slippage  20 / 20  5 / 5',
      '    fee       10 / 10  10 / 10',
      '    reality minus model, per fill: 15 bps',
      '',
      'The paper fill model is optimistic by 15 bps per fill against 1 LIVE fill(s): run `trader paper costs --from-parity`.',
      '',
      '1 difference(s) have no explained cause: a defect to investigate (`trader runs show <run_id>`).',
    ]);
  });
});
