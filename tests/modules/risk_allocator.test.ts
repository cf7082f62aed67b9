import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultRules, manifest, run } from '../../modules/risk/risk_allocator_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';

type View = Parameters<typeof run>[0];
type Regime = ContextValue<'market_regime'>['regime'];
type Tier = ContextValue<'liquidity'>['tier'];
type Profile = ContextValue<'run'>['risk_profile'];
const params = manifest.params.parse({});
const sdk = { indicators };
const P = (over: Record<string, unknown>) => manifest.params.parse(over);

const runInfo = (risk_profile: Profile): ContextValue<'run'> => ({
  run_id: '3f0c6a1e-8d9b-4c7a-9e2f-1b2c3d4e5f60',
  pipeline_id: 'p',
  strategy_id: null,
  system_mode: 'TEST',
  operational_mode: 'observe',
  risk_profile,
  exchange: 'binance',
  timeframe: '1h',
  as_of: '2024-01-26T10:00:00Z',
  trigger: 'cli',
});
function view(o: { regime?: Regime; category?: string; tier?: Tier; profile?: Profile } = {}): View {
  const category = o.category ?? 'major';
  return {
    market_regime: { regime: o.regime ?? 'neutral', rule: 'test' },
    liquidity: { avg_quote_volume: 1e6, spread_proxy_pct: 0.05, tier: o.tier ?? 'high', category },
    instrument: {
      exchange: 'binance',
      symbol: 'X/USDT',
      base: 'X',
      quote: 'USDT',
      category,
      price_precision: 2,
      amount_precision: 5,
      tick_size: 0.01,
      min_qty: null,
      min_notional: null,
    },
    run: runInfo(o.profile ?? 'medium'),
  };
}
function allocate(v: View, p = params) {
  const out = run(v, p, sdk);
  return { rp: contextKeys.risk_params.schema.parse(out.outputs.risk_params), rationale: out.rationale };
}

describe('risk_allocator_v1 defaults', () => {
  it('base risk by profile (seed ranges: low 0.25-0.5, medium 0.75-1.5, high 2-3), no rule in a neutral liquid market', () => {
    expect(allocate(view({ profile: 'low' })).rp.risk_per_trade_pct).toBe(0.5);
    expect(allocate(view({ profile: 'high' })).rp.risk_per_trade_pct).toBe(2);
    const { rp, rationale } = allocate(view({ profile: 'medium' }));
    expect(rp).toEqual({
      multiplier: 1,
      risk_per_trade_pct: 1,
      max_positions: 5,
      category_cap_pct: 5,
      rules_applied: [],
    });
    expect(rationale).toContain('Risk profile medium: base 1% per trade');
    expect(rationale).toContain('no rule matched');
  });

  it('risk_off on a major: 0.25x and at most 2 positions', () => {
    const { rp, rationale } = allocate(view({ regime: 'risk_off', category: 'major', profile: 'high' }));
    expect(rp).toEqual({
      multiplier: 0.25,
      risk_per_trade_pct: 0.5,
      max_positions: 2,
      category_cap_pct: 5,
      rules_applied: ['risk_off'],
    });
    expect(rationale).toContain('2% x 0.25 = 0.5% per trade');
  });

  it('risk_off on a non-major: 0.25 x 0 = 0, no new risk', () => {
    const { rp, rationale } = allocate(view({ regime: 'risk_off', category: 'alt' }));
    expect(rp.multiplier).toBe(0);
    expect(rp.risk_per_trade_pct).toBe(0);
    expect(rp.rules_applied).toEqual(['risk_off', 'risk_off_non_major']);
    expect(rationale).toContain('No new risk');
  });

  it('alt_season on an alt: 1.0x, listed; not on a major', () => {
    expect(allocate(view({ regime: 'alt_season', category: 'alt' })).rp).toMatchObject({
      multiplier: 1,
      risk_per_trade_pct: 1,
      rules_applied: ['alt_season_alts'],
    });
    expect(allocate(view({ regime: 'alt_season', category: 'major' })).rp.rules_applied).toEqual([]);
  });

  it('low liquidity tier: 0.5x, combined multiplicatively with risk_off (0.25 x 0.5 = 0.125)', () => {
    expect(allocate(view({ tier: 'low' })).rp).toMatchObject({
      multiplier: 0.5,
      risk_per_trade_pct: 0.5,
      rules_applied: ['low_liquidity'],
    });
    expect(allocate(view({ tier: 'medium' })).rp.rules_applied).toEqual([]);
    const { rp } = allocate(view({ regime: 'risk_off', tier: 'low', profile: 'low' }));
    expect(rp.multiplier).toBe(0.125);
    expect(rp.risk_per_trade_pct).toBeCloseTo(0.0625, 12); // 0.5 x 0.125
    expect(rp.rules_applied).toEqual(['risk_off', 'low_liquidity']);
  });
});

describe('risk_allocator_v1 configured rules', () => {
  it('applies matching rules in order: multipliers multiply, caps take the minimum, rationale in order', () => {
    const p = P({
      max_multiplier: 2,
      max_positions: 6,
      category_cap_pct: 8,
      rules: [
        { id: 'r1', when: { regime: ['risk_on'] }, multiplier: 1.5, max_positions: 4 },
        { id: 'skip', when: { regime: ['risk_off'] }, multiplier: 0 },
        {
          id: 'r2',
          when: { category: ['alt'], liquidity_tier: ['medium', 'low'] },
          multiplier: 0.8,
          category_cap_pct: 3,
        },
        { id: 'r3', when: {}, max_positions: 5, category_cap_pct: 4 },
      ],
    });
    const { rp, rationale } = allocate(
      view({ regime: 'risk_on', category: 'alt', tier: 'medium', profile: 'medium' }),
      p,
    );
    expect(rp.rules_applied).toEqual(['r1', 'r2', 'r3']);
    expect(rp.multiplier).toBeCloseTo(1.2, 12); // 1.5 x 0.8
    expect(rp.risk_per_trade_pct).toBeCloseTo(1.2, 12);
    expect(rp.max_positions).toBe(4); // min(6, 4, 5)
    expect(rp.category_cap_pct).toBe(3); // min(8, 3, 4)
    expect(rationale).toContain(
      'rules applied in order: r1 (x1.5, max_positions <= 4); r2 (x0.8, category cap <= 3%); r3 (max_positions <= 5, category cap <= 4%)',
    );
  });

  it('every condition must hold: a rule with a non-matching tier does not apply', () => {
    const p = P({ rules: [{ id: 'r', when: { regime: ['neutral'], liquidity_tier: ['low'] }, multiplier: 0.1 }] });
    expect(allocate(view({ regime: 'neutral', tier: 'high' }), p).rp.rules_applied).toEqual([]);
    expect(allocate(view({ regime: 'neutral', tier: 'low' }), p).rp.multiplier).toBe(0.1);
  });

  it('category_not matches every category but the listed ones', () => {
    const p = P({ rules: [{ id: 'no_stables', when: { category_not: ['major', 'alt'] }, multiplier: 0 }] });
    expect(allocate(view({ category: 'stable' }), p).rp.risk_per_trade_pct).toBe(0);
    expect(allocate(view({ category: 'meme' }), p).rp.risk_per_trade_pct).toBe(0);
    expect(allocate(view({ category: 'alt' }), p).rp.risk_per_trade_pct).toBe(1);
  });

  it('max_multiplier caps a boost (default 1: 1.5 has no effect; 2 lets it through)', () => {
    const rules = [{ id: 'boost', when: { regime: ['risk_on'] }, multiplier: 1.5 }];
    const capped = allocate(view({ regime: 'risk_on' }), P({ rules }));
    expect(capped.rp.multiplier).toBe(1);
    expect(capped.rationale).toContain('capped from 1.5 at max_multiplier 1');
    expect(allocate(view({ regime: 'risk_on' }), P({ rules, max_multiplier: 2 })).rp.multiplier).toBe(1.5);
  });

  it('a risk_config row (merged over the params) replaces the profile base and the rule list', () => {
    const merged = Object.assign({}, { high_risk_pct: 2 }, { high_risk_pct: 3, rules: [] });
    const { rp } = allocate(view({ regime: 'risk_off', category: 'alt', profile: 'high' }), P(merged));
    expect(rp).toMatchObject({ multiplier: 1, risk_per_trade_pct: 3, rules_applied: [] });
  });

  it('is deterministic', () => {
    const v = view({ regime: 'risk_off', tier: 'low' });
    expect(run(v, params, sdk)).toEqual(run(v, params, sdk));
  });

  it('params: defaults and validation', () => {
    expect(params).toMatchObject({
      low_risk_pct: 0.5,
      medium_risk_pct: 1,
      high_risk_pct: 2,
      max_multiplier: 1,
      max_positions: 5,
      category_cap_pct: 5,
    });
    expect(params.rules).toEqual(defaultRules);
    expect(params.rules.map((r) => r.id)).toEqual([
      'risk_off',
      'risk_off_non_major',
      'alt_season_alts',
      'low_liquidity',
    ]);
    const bad = [
      {
        rules: [
          { id: 'a', when: {} },
          { id: 'a', when: {} },
        ],
      }, // duplicate ids
      { rules: [{ id: 'a', when: { regime: ['bear'] } }] }, // unknown regime
      { rules: [{ id: 'a', when: { tier: ['low'] } }] }, // unknown condition (strict)
      { rules: [{ id: 'a', multiplier: 2.5 }] }, // multiplier > 2
      { rules: [{ id: 'a', extra: 1 }] }, // strict rule
      { medium_risk_pct: 6 }, // base above 5
      { max_multiplier: 3 },
      { risk_pct: 1 }, // strict params
    ];
    for (const b of bad) expect(manifest.params.safeParse(b).success, JSON.stringify(b)).toBe(false);
  });
});

describe('risk_allocator_v1 properties', () => {
  const regimes = ['risk_on', 'risk_off', 'neutral', 'alt_season'] as const;
  const tiers = ['high', 'medium', 'low'] as const;
  const cats = ['major', 'alt', 'stable'] as const;
  const rule = fc.record({
    id: fc.string({ minLength: 1, maxLength: 6 }),
    when: fc.record(
      {
        regime: fc.subarray([...regimes], { minLength: 1 }),
        category: fc.subarray([...cats], { minLength: 1 }),
        liquidity_tier: fc.subarray([...tiers], { minLength: 1 }),
      },
      { requiredKeys: [] },
    ),
    multiplier: fc.option(fc.double({ min: 0, max: 2, noNaN: true }), { nil: undefined }),
    max_positions: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
  });
  const input = fc.record({
    rules: fc.uniqueArray(rule, { maxLength: 6, selector: (r) => r.id }),
    base: fc.double({ min: 0, max: 5, noNaN: true }),
    max_multiplier: fc.double({ min: 0, max: 2, noNaN: true }),
    profile: fc.constantFrom<Profile>('low', 'medium', 'high'),
    regime: fc.constantFrom(...regimes),
    tier: fc.constantFrom(...tiers),
    category: fc.constantFrom(...cats),
  });
  const matches = (
    r: { when: { regime?: string[]; category?: string[]; liquidity_tier?: string[] } },
    a: { regime: string; category: string; tier: string },
  ) =>
    (r.when.regime === undefined || r.when.regime.includes(a.regime)) &&
    (r.when.category === undefined || r.when.category.includes(a.category)) &&
    (r.when.liquidity_tier === undefined || r.when.liquidity_tier.includes(a.tier));

  it('risk never exceeds base x the largest configured multiplier (1 when none boosts), is 0 when a matching rule says 0, and is valid', () => {
    fc.assert(
      fc.property(input, (a) => {
        const rules = a.rules.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
        const p = P({ rules, max_multiplier: a.max_multiplier, [`${a.profile}_risk_pct`]: a.base });
        const { rp } = allocate(view({ regime: a.regime, tier: a.tier, category: a.category, profile: a.profile }), p);
        const mults = a.rules.map((r) => r.multiplier).filter((m): m is number => m !== undefined);
        const boosts = mults.filter((m) => m > 1);
        // Several boosting rules compound; the bound is then the product of the boosts.
        const bound =
          a.base *
          Math.min(
            a.max_multiplier,
            boosts.reduce((x, m) => x * m, 1),
          );
        expect(rp.risk_per_trade_pct).toBeLessThanOrEqual(bound * (1 + 1e-12));
        if (boosts.length <= 1)
          expect(rp.risk_per_trade_pct).toBeLessThanOrEqual(a.base * Math.max(1, ...mults) * (1 + 1e-12));
        const matching = a.rules.filter((r) => matches(r, { ...a }));
        expect(rp.rules_applied).toEqual(matching.map((r) => r.id));
        if (matching.some((r) => r.multiplier === 0)) expect(rp.risk_per_trade_pct).toBe(0);
        const expectedMult = Math.min(
          a.max_multiplier,
          matching.reduce((x, r) => x * (r.multiplier ?? 1), 1),
        );
        expect(rp.multiplier).toBeCloseTo(expectedMult, 12);
        expect(rp.max_positions).toBe(Math.min(5, ...matching.map((r) => r.max_positions ?? 5)));
      }),
      { numRuns: 1000 },
    );
  });

  it('with the default rules, risk_off on a non-major is always 0 and never above base anywhere', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...regimes),
        fc.constantFrom(...tiers),
        fc.constantFrom('major', 'alt', 'stable', 'meme'),
        fc.constantFrom<Profile>('low', 'medium', 'high'),
        (regime, tier, category, profile) => {
          const { rp } = allocate(view({ regime, tier, category, profile }));
          const base = { low: 0.5, medium: 1, high: 2 }[profile];
          expect(rp.risk_per_trade_pct).toBeLessThanOrEqual(base);
          if (regime === 'risk_off' && category !== 'major') expect(rp.risk_per_trade_pct).toBe(0);
        },
      ),
    );
  });
});
