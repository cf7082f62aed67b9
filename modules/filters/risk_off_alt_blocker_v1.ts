import { defineManifest, z, type ModuleRun } from '../../sdk/index.ts';

/**
 * One verdict per symbol: when the market regime is risk_off, blocks every instrument whose
 * category is not in `allowed_categories_in_risk_off` (default only 'major', i.e. BTC/ETH);
 * in any other regime (risk_on, neutral, alt_season) it allows. Categories are compared
 * case-insensitively after trimming. The reason names the regime, the rule that produced it,
 * the instrument's category and the allowed list. An empty list blocks everything in risk_off.
 */
export const manifest = defineManifest({
  module_id: 'risk_off_alt_blocker_v1',
  version: '1.0.0',
  logic_type: 'filter',
  description:
    'In a risk_off market regime, blocks instruments outside the allowed categories (default: majors only); allows otherwise.',
  input_keys: ['market_regime', 'instrument'],
  output_keys: ['filter_verdicts'],
  params: z
    .object({
      allowed_categories_in_risk_off: z
        .array(z.string().min(1))
        .default(['major'])
        .describe(
          'instrument categories still tradable while the regime is risk_off (case-insensitive); an empty list blocks all',
        ),
    })
    .strict()
    .refine(
      (p) => new Set(p.allowed_categories_in_risk_off.map(norm)).size === p.allowed_categories_in_risk_off.length,
      {
        message: 'allowed_categories_in_risk_off must not repeat a category',
        path: ['allowed_categories_in_risk_off'],
      },
    )
    .refine((p) => p.allowed_categories_in_risk_off.every((c) => norm(c).length > 0), {
      message: 'categories must not be blank',
      path: ['allowed_categories_in_risk_off'],
    }),
});

function norm(c: string): string {
  return c.trim().toLowerCase();
}

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const { regime, rule } = view.market_regime;
  const { symbol, category } = view.instrument;
  const allowed = params.allowed_categories_in_risk_off;
  const list = `[${allowed.join(', ')}]`;
  const regimeText = `regime ${regime} (rule: ${rule})`;

  if (regime !== 'risk_off') {
    const why = `${regimeText}; alts are blocked only in risk_off, so ${symbol} (category ${category}) passes`;
    return {
      outputs: { filter_verdicts: [{ allow: true, reason: `allow: ${why}` }] },
      rationale: `Allowed because ${why}.`,
    };
  }
  if (allowed.some((c) => norm(c) === norm(category))) {
    const why = `${regimeText}, but ${symbol} category ${category} is in the categories allowed during risk_off ${list}`;
    return {
      outputs: { filter_verdicts: [{ allow: true, reason: `allow: ${why}` }] },
      rationale: `Allowed because ${why}.`,
    };
  }
  const why = `${regimeText}: ${symbol} category ${category} is not in the categories allowed during risk_off ${list}`;
  return {
    outputs: { filter_verdicts: [{ allow: false, reason: `block: ${why}` }] },
    rationale: `Blocked because ${why}; in a risk-off market only those categories may be traded.`,
  };
};
