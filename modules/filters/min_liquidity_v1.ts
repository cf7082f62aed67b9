import { defineManifest, z, type ModuleRun } from '../../sdk/index.ts';

const tiers = ['low', 'medium', 'high'] as const;
type Tier = (typeof tiers)[number];
const rank = (t: Tier) => tiers.indexOf(t);

/**
 * One verdict per symbol from the liquidity context: blocks when the average quote volume is
 * below `min_avg_quote_volume`, when the spread proxy exceeds `max_spread_proxy_pct`, or when
 * the liquidity tier ranks below `min_tier` (low < medium < high). Boundaries pass: a volume
 * exactly at the minimum, a spread exactly at the maximum, a tier equal to the minimum tier.
 * Every failed check is named in the one reason, with its figures.
 */
export const manifest = defineManifest({
  module_id: 'min_liquidity_v1',
  version: '1.0.0',
  logic_type: 'filter',
  description:
    'Blocks a symbol whose average quote volume is too low, whose spread proxy is too wide, or whose liquidity tier is below a minimum.',
  input_keys: ['liquidity'],
  output_keys: ['filter_verdicts'],
  params: z
    .object({
      min_avg_quote_volume: z
        .number()
        .min(0)
        .default(1_000_000)
        .describe('minimum mean quote volume per candle (close x volume, in quote currency, e.g. USDT); equal passes'),
      max_spread_proxy_pct: z
        .number()
        .min(0)
        .max(100)
        .default(0.5)
        .describe('widest estimated bid-ask spread accepted, percent of price; equal passes'),
      min_tier: z
        .enum(tiers)
        .default('medium')
        .describe('lowest liquidity tier accepted (low < medium < high); equal passes'),
    })
    .strict(),
});

/** 1234567.8 -> '1,234,568' (no locale APIs: the output must not depend on the runtime's ICU data). */
const money = (x: number) => String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const num = (x: number) => String(Number(x.toPrecision(10)));

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const liq = view.liquidity;
  const problems: string[] = [];
  const figures: string[] = [];

  const vol = `average quote volume ${money(liq.avg_quote_volume)}`;
  if (liq.avg_quote_volume < params.min_avg_quote_volume)
    problems.push(`${vol} below minimum ${money(params.min_avg_quote_volume)}`);
  else figures.push(`${vol} >= minimum ${money(params.min_avg_quote_volume)}`);

  const spread = `spread proxy ${num(liq.spread_proxy_pct)}%`;
  if (liq.spread_proxy_pct > params.max_spread_proxy_pct)
    problems.push(`${spread} above maximum ${num(params.max_spread_proxy_pct)}%`);
  else figures.push(`${spread} <= maximum ${num(params.max_spread_proxy_pct)}%`);

  const tier = `tier ${liq.tier}`;
  if (rank(liq.tier) < rank(params.min_tier)) problems.push(`${tier} below minimum tier ${params.min_tier}`);
  else figures.push(`${tier} >= minimum tier ${params.min_tier}`);

  const allow = problems.length === 0;
  const reason = allow ? `allow: ${figures.join('; ')}` : `block: ${problems.join('; ')}`;
  return {
    outputs: { filter_verdicts: [{ allow, reason }] },
    rationale: allow
      ? `All liquidity checks pass (category ${liq.category}): ${figures.join('; ')}.`
      : `Blocked for thin liquidity (category ${liq.category}) because ${problems.join('; ')}.${figures.length > 0 ? ` Passed: ${figures.join('; ')}.` : ''}`,
  };
};
