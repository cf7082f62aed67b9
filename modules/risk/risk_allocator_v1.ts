import { defineManifest, z, type ModuleRun } from '../../sdk/index.ts';

/**
 * Dynamic risk allocator (seed 5.5 / 7.6): maps the market context to risk_params through an
 * ordered rule list.
 *
 * base = the run's risk profile: `low_risk_pct` / `medium_risk_pct` / `high_risk_pct`
 * (defaults 0.5 / 1 / 2, inside the seed's Low 0.25-0.5, Medium 0.75-1.5, High 2-3 ranges).
 * Every rule whose `when` matches (all given conditions must hold; an absent condition matches
 * anything) is applied in order: multipliers multiply, max_positions and category_cap_pct take
 * the minimum with the defaults and earlier rules. The product is capped at `max_multiplier`
 * (default 1: rules scale risk down, never up, unless you raise it).
 * risk_per_trade_pct = base x multiplier; rules_applied lists the matching rule ids in order.
 *
 * Conditions read market_regime.regime, instrument.category and liquidity.tier.
 * Default rules: risk_off -> 0.25x and at most 2 positions; risk_off on a non-major -> 0x;
 * alt_season on alts -> 1.0x (explicitly full size); low liquidity tier -> 0.5x.
 * Every param can be overridden by a risk_config row for this module (the orchestrator merges
 * its params over these; a row's `rules` replaces the whole list).
 */
const Regime = z.enum(['risk_on', 'risk_off', 'neutral', 'alt_season']);
const Tier = z.enum(['high', 'medium', 'low']);

const Rule = z
  .object({
    id: z.string().min(1).describe('rule id, listed in rules_applied when it matches'),
    when: z
      .object({
        regime: z.array(Regime).min(1).optional().describe('matches when market_regime.regime is one of these'),
        category: z
          .array(z.string().min(1))
          .min(1)
          .optional()
          .describe('matches when instrument.category is one of these'),
        category_not: z
          .array(z.string().min(1))
          .min(1)
          .optional()
          .describe('matches when instrument.category is none of these'),
        liquidity_tier: z.array(Tier).min(1).optional().describe('matches when liquidity.tier is one of these'),
      })
      .strict()
      .default({})
      .describe('conditions, all of which must hold; {} matches always'),
    multiplier: z.number().min(0).max(2).optional().describe('multiplies the risk multiplier (0 = no new risk)'),
    max_positions: z.number().int().min(0).max(1000).optional().describe('upper bound on open positions'),
    category_cap_pct: z
      .number()
      .min(0)
      .max(100)
      .optional()
      .describe('upper bound on equity at risk in one category, percent'),
  })
  .strict();
export type AllocatorRule = z.output<typeof Rule>;

export const defaultRules: AllocatorRule[] = [
  { id: 'risk_off', when: { regime: ['risk_off'] }, multiplier: 0.25, max_positions: 2 },
  { id: 'risk_off_non_major', when: { regime: ['risk_off'], category_not: ['major'] }, multiplier: 0 },
  { id: 'alt_season_alts', when: { regime: ['alt_season'], category: ['alt'] }, multiplier: 1 },
  { id: 'low_liquidity', when: { liquidity_tier: ['low'] }, multiplier: 0.5 },
];

export const manifest = defineManifest({
  module_id: 'risk_allocator_v1',
  version: '1.0.0',
  logic_type: 'risk',
  description:
    'Sets risk per trade, max positions and the category cap from the risk profile and ordered context rules (regime, category, liquidity tier); multipliers multiply, caps take the minimum.',
  input_keys: ['market_regime', 'liquidity', 'instrument', 'run'],
  output_keys: ['risk_params'],
  params: z
    .object({
      low_risk_pct: z
        .number()
        .min(0)
        .max(5)
        .default(0.5)
        .describe("base risk per trade (percent of equity) for the 'low' risk profile"),
      medium_risk_pct: z
        .number()
        .min(0)
        .max(5)
        .default(1)
        .describe("base risk per trade (percent of equity) for the 'medium' risk profile"),
      high_risk_pct: z
        .number()
        .min(0)
        .max(5)
        .default(2)
        .describe("base risk per trade (percent of equity) for the 'high' risk profile"),
      max_multiplier: z
        .number()
        .min(0)
        .max(2)
        .default(1)
        .describe('cap on the product of the rule multipliers; 1 = rules can only lower risk'),
      max_positions: z
        .number()
        .int()
        .min(0)
        .max(1000)
        .default(5)
        .describe('open positions allowed before any rule lowers it'),
      category_cap_pct: z
        .number()
        .min(0)
        .max(100)
        .default(5)
        .describe('most equity at risk in one category, percent, before any rule lowers it'),
      rules: z
        .array(Rule)
        .max(100)
        .default(defaultRules)
        .describe(
          'context rules applied in order: { id, when: { regime?, category?, category_not?, liquidity_tier? }, multiplier?, max_positions?, category_cap_pct? }',
        )
        .refine((rs) => new Set(rs.map((r) => r.id)).size === rs.length, 'rule ids must be unique'),
    })
    .strict(),
});

const f = (x: number, d = 2) => Number(x.toFixed(d)).toString();

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const regime = view.market_regime.regime;
  const category = view.instrument.category;
  const tier = view.liquidity.tier;
  const profile = view.run.risk_profile;
  const base = { low: params.low_risk_pct, medium: params.medium_risk_pct, high: params.high_risk_pct }[profile];

  let product = 1;
  let maxPositions = params.max_positions;
  let categoryCap = params.category_cap_pct;
  const applied: string[] = [];
  const steps: string[] = [];
  for (const rule of params.rules) {
    const w = rule.when;
    const matches =
      (w.regime === undefined || w.regime.includes(regime)) &&
      (w.category === undefined || w.category.includes(category)) &&
      (w.category_not === undefined || !w.category_not.includes(category)) &&
      (w.liquidity_tier === undefined || w.liquidity_tier.includes(tier));
    if (!matches) continue;
    applied.push(rule.id);
    const effects: string[] = [];
    if (rule.multiplier !== undefined) {
      product *= rule.multiplier;
      effects.push(`x${f(rule.multiplier, 4)}`);
    }
    if (rule.max_positions !== undefined) {
      maxPositions = Math.min(maxPositions, rule.max_positions);
      effects.push(`max_positions <= ${rule.max_positions}`);
    }
    if (rule.category_cap_pct !== undefined) {
      categoryCap = Math.min(categoryCap, rule.category_cap_pct);
      effects.push(`category cap <= ${rule.category_cap_pct}%`);
    }
    steps.push(`${rule.id} (${effects.join(', ') || 'no effect'})`);
  }
  const multiplier = Math.min(product, params.max_multiplier);
  const riskPct = base * multiplier;
  const capped =
    multiplier < product ? `, capped from ${f(product, 4)} at max_multiplier ${params.max_multiplier}` : '';
  const context = `regime ${regime}, category ${category}, liquidity tier ${tier}`;
  const ruleText = steps.length > 0 ? `rules applied in order: ${steps.join('; ')}` : 'no rule matched';
  const zero = riskPct === 0 ? ' No new risk on this symbol.' : '';
  return {
    outputs: {
      risk_params: {
        multiplier,
        risk_per_trade_pct: riskPct,
        max_positions: maxPositions,
        category_cap_pct: categoryCap,
        rules_applied: applied,
      },
    },
    rationale:
      `Risk profile ${profile}: base ${f(base, 4)}% per trade. Context: ${context}; ${ruleText}. ` +
      `Multiplier ${f(multiplier, 4)}${capped} -> risk ${f(base, 4)}% x ${f(multiplier, 4)} = ${f(riskPct, 4)}% per trade, ` +
      `max ${maxPositions} positions, category cap ${f(categoryCap, 4)}%.${zero}`,
  };
};
