/**
 * The shipped sizers and the risk gate count an entry's cost the same way (sdk/entry-costs.ts):
 * for random equity, free balance, price, stop, fee, worst-case slippage, risk profile and (in
 * High, activated) leverage, an intent fixed_fractional_v1 or v2 produces on an empty book is
 * never refused by the gate: not by its balance rule (margin + fees at worst-case slippage <=
 * free balance), not by risk_per_trade, and not by the leverage and liquidation rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as v1 from '../../modules/risk/fixed_fractional_v1.ts';
import * as v2 from '../../modules/risk/fixed_fractional_v2.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';
import { checkIntent, type GateInput } from '../../trading/risk-gate/gate.ts';
import { usableLeverage } from '../../trading/state-repo.ts';
import { btcInstrument, sizingCaseArbs } from '../helpers/module-views.ts';
import { num, profileArb } from '../helpers/risk-arbs.ts';

const sdk = { indicators };

const caseArb = fc.record({
  ...sizingCaseArbs(),
  profile: profileArb,
  /** Free cash as a share of equity: often all of it (a flat book), else what open positions left. */
  freeShare: fc.oneof(fc.constant(1), num(0, 1)),
  feeRate: fc.oneof(fc.constant(0.001), num(0, 0.01)),
  slippageRate: fc.oneof(fc.constant(0.0005), num(0, 0.05)),
  riskPct: num(0.01, 10),
  maxNotionalPct: fc.oneof(fc.constant(100), num(1, 100)),
  leverageActivated: fc.boolean(),
  tickDecimals: fc.option(fc.integer({ min: 0, max: 8 }), { nil: null }),
});
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

const instrument = (c: Case): ContextValue<'instrument'> =>
  btcInstrument({
    price_precision: null,
    amount_precision: c.precision,
    tick_size: c.tickDecimals === null ? null : 10 ** -c.tickDecimals,
    min_qty: null,
    min_notional: null,
  });

/** The leverage a run lets the sizers use: the profile's maximum only in High, allowed and activated. */
const leverageOf = (c: Case) =>
  usableLeverage({ risk_profile: c.profile.profile, leverage_enabled: c.leverageActivated }, c.profile);

/** What a run hands the sizers: the profile's risk limit, the usable leverage, the free cash and the account's costs. */
function portfolioOf(c: Case): ContextValue<'portfolio'> {
  return {
    system_mode: 'TEST',
    equity: c.equity,
    currency: 'USDT',
    source: 'property test',
    max_risk_pct: c.profile.risk_per_trade_pct,
    free_balance: c.equity * c.freeShare,
    max_leverage: leverageOf(c),
    fee_rate: c.feeRate,
    slippage_rate: c.slippageRate,
  };
}

function trade(c: Case) {
  const sign = c.long ? 1 : -1;
  const stop = c.entry * (1 - sign * c.stopFrac);
  const target = c.long ? c.entry * (1 + 2 * c.stopFrac) : c.entry / (1 + 2 * c.stopFrac);
  const idea = {
    direction: c.long ? ('long' as const) : ('short' as const),
    entry: c.entry,
    stop,
    targets: [target],
    rr: 2,
    score: 0.5,
    confirmations: ['a'],
  };
  return { idea, stop, target };
}

function sizeV1(c: Case) {
  const { idea } = trade(c);
  const params = v1.manifest.params.parse({ risk_pct: c.riskPct, max_notional_pct: c.maxNotionalPct });
  return v1.run(
    {
      ideas: [idea],
      portfolio: portfolioOf(c),
      instrument: instrument(c),
      volatility: { atr: 0, atr_pct: 0, band: 'normal' },
      symbol: 'BTC/USDT',
    },
    params,
    sdk,
  );
}

function sizeV2(c: Case) {
  const { idea, stop, target } = trade(c);
  const params = v2.manifest.params.parse({ max_notional_pct: c.maxNotionalPct });
  return v2.run(
    {
      ideas: [idea],
      stop_plan: { direction: idea.direction, entry: c.entry, stop, method: 'idea stop' },
      exit_plan: { take_profits: [{ price: target, fraction: 1 }], breakeven_after_tp: null, time_stop_bars: null },
      risk_params: {
        multiplier: 1,
        risk_per_trade_pct: Math.min(c.riskPct, 10),
        max_positions: 5,
        category_cap_pct: 100,
        rules_applied: [],
      },
      portfolio: portfolioOf(c),
      instrument: instrument(c),
      symbol: 'BTC/USDT',
    },
    params,
    sdk,
  );
}

/** The gate as a Full-Auto execution on an empty book sees the intent, with the account the sizer saw. */
function gateInput(c: Case, intent: ContextValue<'intents'>[number]): GateInput {
  const p = portfolioOf(c);
  return {
    purpose: 'execute',
    approved: false,
    intent,
    state: {
      operational_mode: 'full_auto',
      risk_profile: c.profile.profile,
      halted: false,
      emergency: false,
      leverage_enabled: c.leverageActivated,
      drawdown_pct: 0,
    },
    profile: c.profile,
    equity: c.equity,
    free_balance: p.free_balance!,
    fee_rate: c.feeRate,
    slippage_rate: c.slippageRate,
    category: 'major',
    open_positions: [],
  };
}

describe.each([
  ['fixed_fractional_v1', sizeV1],
  ['fixed_fractional_v2', sizeV2],
])('%s and the risk gate agree on what an entry costs', (_name, size) => {
  it('an intent it produces is never refused by the gate, whatever the costs, the free balance or the leverage', () => {
    let sized = 0;
    let cutByWallet = 0;
    let levered = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const out = size(c);
        const intents = (out.outputs.intents ?? []).map((i) => contextKeys.intents.schema.parse(i));
        if (intents.length === 0) {
          expect(out.rationale).toMatch(/^No intent: .*(rounds to 0|not a positive price)/);
          return;
        }
        sized++;
        if (out.rationale.includes('qty cut to')) cutByWallet++;
        if (intents[0]!.leverage > 1) levered++;
        const verdict = checkIntent(gateInput(c, intents[0]!));
        expect(verdict.reasons, out.rationale).toEqual([]);
      }),
      { numRuns: 3000 },
    );
    // The property says nothing unless the sizer sized, the wallet cut some sizes and (v2) leverage was used.
    // Levered intents are rare (High, activated, and a stop tight enough to need it): 6 to 23 in 3,000
    // cases over many seeds, so asking for more than one would fail on an unlucky seed.
    expect(sized).toBeGreaterThan(1000);
    expect(cutByWallet).toBeGreaterThan(100);
    if (size === sizeV2) expect(levered).toBeGreaterThan(0);
  });
});
