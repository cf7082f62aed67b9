import { describe, expect, it } from 'vitest';
import { checkIntent, type GateInput, type GateRuleName } from '../../trading/risk-gate/gate.ts';
import { passingGateInput } from '../helpers/risk-arbs.ts';

const base = passingGateInput;

const failed = (input: GateInput): GateRuleName[] =>
  checkIntent(input)
    .checks.filter((c) => !c.ok)
    .map((c) => c.rule);
const detail = (input: GateInput, rule: GateRuleName) => checkIntent(input).checks.find((c) => c.rule === rule)!.detail;

describe('risk gate', () => {
  it('passes a trade within every limit, with all twelve checks explained', () => {
    const v = checkIntent(base());
    expect(v.ok).toBe(true);
    expect(v.reasons).toEqual([]);
    expect(v.checks.map((c) => c.rule)).toEqual([
      'not_halted',
      'mode_allows',
      'profile_matches',
      'stop_protective',
      'risk_per_trade',
      'max_open_positions',
      'one_position_per_symbol',
      'category_cap',
      'correlation_cluster',
      'drawdown',
      'leverage_permitted',
      'liquidation_after_stop',
      'margin',
      'live_notional_caps',
    ]);
    expect(detail(base(), 'risk_per_trade')).toBe('risk 0.80% of equity is within the medium profile limit of 1.00%');
    expect(detail(base(), 'margin')).toBe('margin and fees of 4004.00 fit the free balance of 6000.00');
  });

  it('recomputes risk from prices and quantity, whatever the intent claims', () => {
    const input = base();
    input.intent = { ...input.intent, qty: 0.142, risk_pct: 0.5, risk_amount: 50 };
    input.free_balance = 20_000;
    const v = checkIntent(input);
    expect(v.ok).toBe(false);
    expect(v.reasons).toEqual([
      'risk 1.42% of equity (the intent claimed 0.50%) exceeds the medium profile limit of 1.00%',
    ]);
  });

  it('shows enough decimals that a refusal never reads "1.00% exceeds 1.00%"', () => {
    const input = base();
    input.intent = { ...input.intent, qty: 0.10001, risk_pct: 1.0001 };
    expect(detail(input, 'risk_per_trade')).toBe('risk 1.0001% of equity exceeds the medium profile limit of 1.0000%');
    // Exactly at the limit passes (float noise is tolerated).
    input.intent = { ...input.intent, qty: 0.1 };
    expect(failed(input)).toEqual([]);
  });

  it('lists every failed rule, not just the first', () => {
    const input = base();
    input.state = { ...input.state, halted: true, drawdown_pct: 25 };
    input.intent = { ...input.intent, stop: 51_000, qty: 0.2 };
    input.open_positions = [{ symbol: 'BTC/USDT', category: 'major', risk_amount: 400 }];
    input.free_balance = 20_000;
    const v = checkIntent(input);
    expect(v.ok).toBe(false);
    expect(failed(input)).toEqual([
      'not_halted',
      'stop_protective',
      'risk_per_trade',
      'one_position_per_symbol',
      'category_cap',
      'drawdown',
    ]);
    expect(v.reasons).toEqual([
      'trading is halted: nothing may be executed until the halt is cleared',
      "a buy's stop 51000 must be below its entry 50000",
      'risk 2.00% of equity (the intent claimed 0.80%) exceeds the medium profile limit of 1.00%',
      'a position in BTC/USDT is already open; only one per symbol',
      'risk in category major would be 6.00% of equity, over the cap of 3.00%',
      'drawdown 25.00% is at or above the medium profile limit of 20.00%',
    ]);
  });

  it('the halt stops proposals and executions but not observation', () => {
    const input = { ...base(), state: { ...base().state, halted: true, emergency: true } };
    expect(
      detail({ ...input, purpose: 'propose', state: { ...input.state, operational_mode: 'semi_auto' } }, 'not_halted'),
    ).toBe('an emergency halt is active: nothing may be proposed until the halt is cleared');
    expect(failed({ ...input, purpose: 'observe' })).toEqual([]);
  });

  it('mode: execute in full_auto or approved semi_auto, propose only in semi_auto, observe always', () => {
    const run = (mode: GateInput['state']['operational_mode'], purpose: GateInput['purpose'], approved: boolean) =>
      checkIntent({ ...base(), purpose, approved, state: { ...base().state, operational_mode: mode } }).checks.find(
        (c) => c.rule === 'mode_allows',
      )!;
    expect(run('full_auto', 'execute', false).ok).toBe(true);
    expect(run('semi_auto', 'execute', true).ok).toBe(true);
    expect(run('semi_auto', 'execute', false)).toMatchObject({
      ok: false,
      detail: 'semi_auto mode only executes proposals a user approved',
    });
    expect(run('observe', 'execute', true)).toMatchObject({ ok: false, detail: 'observe mode never executes trades' });
    expect(run('semi_auto', 'propose', false).ok).toBe(true);
    expect(run('full_auto', 'propose', false)).toMatchObject({
      ok: false,
      detail: 'proposals are only made in semi_auto mode, not in full_auto',
    });
    for (const mode of ['observe', 'semi_auto', 'full_auto'] as const)
      expect(run(mode, 'observe', false).ok).toBe(true);
  });

  it('a sell needs its stop above the entry', () => {
    const input = base();
    input.intent = { ...input.intent, side: 'sell', stop: 51_000, take_profits: [{ price: 47_000, fraction: 1 }] };
    expect(failed(input)).toEqual([]);
    input.intent = { ...input.intent, stop: 50_000 };
    expect(failed(input)).toEqual(['stop_protective']);
  });

  it('refuses the limits of a profile that is not the active one', () => {
    const input = { ...base(), state: { ...base().state, risk_profile: 'low' as const } };
    expect(checkIntent(input).reasons).toEqual([
      "the limits given are the medium profile's but the active profile is low",
    ]);
  });

  it('no equity, or a non-number anywhere, fails closed', () => {
    expect(failed({ ...base(), equity: 0 })).toEqual(['risk_per_trade', 'category_cap']);
    expect(failed({ ...base(), equity: Number.NaN })).toEqual(['risk_per_trade', 'category_cap']);
    expect(failed({ ...base(), free_balance: Number.NaN })).toEqual(['margin']);
    expect(failed({ ...base(), state: { ...base().state, drawdown_pct: Number.NaN } })).toEqual(['drawdown']);
    expect(failed({ ...base(), intent: { ...base().intent, leverage: Number.NaN } })).toEqual([
      'leverage_permitted',
      'liquidation_after_stop',
      'margin',
    ]);
  });

  it('the open-position count includes the new one', () => {
    const others = ['ETH/USDT', 'SOL/USDT'].map((symbol) => ({ symbol, category: 'alt', risk_amount: 10 }));
    expect(failed({ ...base(), open_positions: others })).toEqual([]);
    expect(
      checkIntent({ ...base(), open_positions: [...others, { symbol: 'XRP/USDT', category: 'alt', risk_amount: 10 }] })
        .reasons,
    ).toEqual(['4 open positions with this one exceeds the medium profile limit of 3']);
  });

  it('the category cap counts only the same category', () => {
    const input = { ...base(), open_positions: [{ symbol: 'DOGE/USDT', category: 'meme', risk_amount: 500 }] };
    expect(failed(input)).toEqual([]);
    expect(failed({ ...input, category: 'meme' })).toEqual(['category_cap']);
  });

  describe('leverage', () => {
    const high = (over: Partial<GateInput['profile']> = {}, enabled = true): GateInput => ({
      ...base(),
      intent: { ...base().intent, leverage: 3 },
      state: { ...base().state, risk_profile: 'high', leverage_enabled: enabled },
      profile: {
        profile: 'high',
        risk_per_trade_pct: 2,
        max_drawdown_pct: 35,
        max_open_positions: 8,
        category_cap_pct: 6,
        allow_leverage: true,
        max_leverage: 5,
        cluster_cap_pct: null,
        cluster_min_correlation: 0.7,
        cluster_window_days: 30,
        ...over,
      },
    });

    it('needs high, allow_leverage, activation and at most max_leverage; the detail names what is missing', () => {
      expect(failed(high())).toEqual([]);
      expect(detail(high(), 'leverage_permitted')).toBe('leverage 3x is allowed and activated');
      expect(detail(high({ allow_leverage: false, max_leverage: 2 }, false), 'leverage_permitted')).toBe(
        "leverage 3x needs allow_leverage in the profile, leverage to be activated, at most the profile's max_leverage of 2x",
      );
      expect(detail({ ...base(), intent: { ...base().intent, leverage: 2 } }, 'leverage_permitted')).toBe(
        "leverage 2x needs the high profile (this is medium), allow_leverage in the profile, leverage to be activated, at most the profile's max_leverage of 1x",
      );
      expect(failed({ ...high(), intent: { ...high().intent, leverage: 0.5 } })).toContain('leverage_permitted');
    });

    it('the stop must fill before the approximate isolated-margin liquidation (1/L - 0.5%)', () => {
      // 10x: liquidation about 9.5% away. A 9% stop fills first; a 9.5% stop does not.
      const tenX = (stop: number) => ({
        ...high({ max_leverage: 10 }),
        intent: { ...high().intent, leverage: 10, stop, qty: 0.02 },
      });
      expect(failed(tenX(45_500))).toEqual([]);
      expect(checkIntent(tenX(45_250)).reasons).toEqual([
        'the stop is 9.50% from entry but a 10x position is liquidated about 9.50% away, before the stop could fill',
      ]);
    });

    it('margin is notional / leverage plus fees', () => {
      // 0.08 BTC at 50,000 = 4,000 notional: 1,333.33 margin at 3x plus 4 fees.
      expect(failed({ ...high(), free_balance: 1_337.34 })).toEqual([]);
      expect(checkIntent({ ...high(), free_balance: 1_337.3 }).reasons).toEqual([
        'margin and fees of 1337.33 exceed the free balance of 1337.30',
      ]);
    });

    it("margin and fees are counted at the worst-case slippage, the sizers' own measure (sdk entryCost)", () => {
      // 4,000 notional filled up to 5 bps higher: 4,002 / 3 = 1,334 margin plus 4.002 fees = 1,338.002.
      const slipped = { ...high(), slippage_rate: 0.0005 };
      expect(failed({ ...slipped, free_balance: 1_338.01 })).toEqual([]);
      expect(checkIntent({ ...slipped, free_balance: 1_337.34 }).reasons).toEqual([
        'margin and fees of 1338.00 (at 5 bps worst-case slippage) exceed the free balance of 1337.34',
      ]);
    });
  });
});
