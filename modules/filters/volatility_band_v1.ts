import { defineManifest, z, type ModuleRun } from '../../sdk/index.ts';

/**
 * One verdict per symbol from the volatility context alone: allows only when ATR% (ATR as a
 * percent of the last close) lies within [min_atr_pct, max_atr_pct], both ends inclusive.
 * Below the band moves are too small to pay fees and spread; above it stops get too wide to
 * size sensibly. The defaults suit BTC/ETH on 1h candles (typical ATR% about 0.3..1.5).
 */
export const manifest = defineManifest({
  module_id: 'volatility_band_v1',
  version: '1.0.0',
  logic_type: 'filter',
  description:
    'Allows a symbol only while its ATR% lies within a tradable band [min_atr_pct, max_atr_pct] (inclusive).',
  input_keys: ['volatility'],
  output_keys: ['filter_verdicts'],
  params: z
    .object({
      min_atr_pct: z
        .number()
        .min(0)
        .max(100)
        .default(0.15)
        .describe('lowest ATR% (ATR / close x 100) allowed, inclusive; below it moves do not cover costs'),
      max_atr_pct: z
        .number()
        .min(0)
        .max(100)
        .default(3)
        .describe('highest ATR% allowed, inclusive; above it stops are too wide or fills too erratic'),
    })
    .strict()
    .refine((p) => p.min_atr_pct <= p.max_atr_pct, {
      message: 'min_atr_pct must not exceed max_atr_pct',
      path: ['min_atr_pct'],
    }),
});

/** Up to 10 significant digits, without float noise: 3.000001 stays 3.000001, 0.1 + 0.2 shows 0.3. */
const num = (x: number) => String(Number(x.toPrecision(10)));

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const { atr, atr_pct: atrPct, band } = view.volatility;
  const range = `[${num(params.min_atr_pct)}%, ${num(params.max_atr_pct)}%]`;
  const figure = `ATR ${num(atrPct)}% (ATR ${num(atr)}, band ${band})`;
  let problem: string | null = null;
  if (atrPct < params.min_atr_pct)
    problem = `${figure} below minimum ${num(params.min_atr_pct)}% of the allowed band ${range}`;
  else if (atrPct > params.max_atr_pct)
    problem = `${figure} above maximum ${num(params.max_atr_pct)}% of the allowed band ${range}`;

  if (problem !== null) {
    return {
      outputs: { filter_verdicts: [{ allow: false, reason: `block: ${problem}` }] },
      rationale: `Blocked because ${problem}: volatility outside the band is either too quiet to pay costs or too wild to size.`,
    };
  }
  const ok = `${figure} within the allowed band ${range}`;
  return {
    outputs: { filter_verdicts: [{ allow: true, reason: `allow: ${ok}` }] },
    rationale: `Allowed because ${ok}.`,
  };
};
