import { defineManifest, z, type ModuleRun } from '../../sdk/index.ts';

/**
 * Market regime from the dominance analyzers and the total market cap trend.
 *
 * Rule, first match wins:
 *   1. USDT.D rising                                          -> risk_off
 *   2. USDT.D falling AND BTC.D falling AND TOTAL rising      -> alt_season
 *   3. USDT.D falling                                         -> risk_on
 *   4. anything else (USDT.D flat or unknown)                 -> neutral
 *
 * - USDT.D / BTC.D rising or falling: the analyzers' direction (usdt_d_state, btc_d_state; their
 *   lookback and flat threshold are their own params), and in addition |change_pct| must be at
 *   least `usdt_d_min_change_pct` / `btc_d_min_change_pct` (0 = the analyzer's direction alone).
 * - TOTAL rising: the macro value's `trends.total_mcap_usd[total_lookback]` change_pct strictly
 *   above `total_rising_pct`. No macro, stale macro, a source without TOTAL, or no trend for the
 *   lookback = TOTAL unknown, which is never rising, so rule 2 cannot fire (rule 3 still can).
 *
 * Why USDT.D first: it is the one direct measure of money leaving crypto for cash, so a rising
 * USDT.D overrides everything. BTC.D alone never makes risk_on/off: it only tells alt_season
 * (broad rally led by alts) from risk_on (rally led by BTC, or BTC.D flat).
 */
export const manifest = defineManifest({
  module_id: 'market_regime_v1',
  version: '1.0.0',
  logic_type: 'context',
  description:
    'Market regime: USDT.D rising -> risk_off; USDT.D falling + BTC.D falling + TOTAL rising -> alt_season; USDT.D falling -> risk_on; else neutral.',
  input_keys: ['usdt_d_state', 'btc_d_state', 'macro'],
  output_keys: ['market_regime'],
  params: z
    .object({
      total_lookback: z
        .string()
        .regex(/^[1-9]\d*d$/, 'a lookback like "7d"')
        .default('7d')
        .describe('which macro TOTAL trend to read, e.g. "7d" (keep it equal to the analyzers\' lookback)'),
      total_rising_pct: z
        .number()
        .min(0)
        .max(100)
        .default(1)
        .describe('TOTAL counts as rising when its change over total_lookback is strictly above this percent'),
      usdt_d_min_change_pct: z
        .number()
        .min(0)
        .max(100)
        .default(0)
        .describe('|USDT.D change_pct| needed, besides the analyzer direction, for USDT.D to count as rising/falling'),
      btc_d_min_change_pct: z
        .number()
        .min(0)
        .max(100)
        .default(0)
        .describe('|BTC.D change_pct| needed, besides the analyzer direction, for BTC.D to count as falling'),
    })
    .strict(),
});

type Regime = 'risk_on' | 'risk_off' | 'neutral' | 'alt_season';
const pct = (x: number | null) => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}%`);

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const u = view.usdt_d_state;
  const b = view.btc_d_state;
  const m = view.macro;

  const counts = (s: typeof u, min: number) =>
    (s.direction === 'rising' || s.direction === 'falling') && s.change_pct !== null && Math.abs(s.change_pct) >= min
      ? s.direction
      : s.direction === 'unknown'
        ? 'unknown'
        : 'flat';
  const usdt = counts(u, params.usdt_d_min_change_pct);
  const btc = counts(b, params.btc_d_min_change_pct);

  let totalPct: number | null = null;
  let totalWhy: string;
  if (m === null) totalWhy = 'TOTAL unknown (no macro data)';
  else if (m.stale) totalWhy = `TOTAL unknown (macro from ${m.as_of} is stale)`;
  else {
    const t = Object.hasOwn(m.trends.total_mcap_usd, params.total_lookback)
      ? m.trends.total_mcap_usd[params.total_lookback]
      : undefined;
    if (m.total_mcap_usd === null || !t)
      totalWhy = `TOTAL unknown (no ${params.total_lookback} TOTAL trend from ${m.source})`;
    else {
      totalPct = t.change_pct;
      totalWhy = `TOTAL ${pct(totalPct)} over ${params.total_lookback} (${totalPct > params.total_rising_pct ? 'rising' : 'not rising'}: > ${params.total_rising_pct}% needed)`;
    }
  }
  const totalRising = totalPct !== null && totalPct > params.total_rising_pct;

  const U = `USDT.D ${usdt} (${pct(u.change_pct)})`;
  const B = `BTC.D ${btc} (${pct(b.change_pct)})`;
  let regime: Regime;
  let rule: string;
  if (usdt === 'rising') {
    regime = 'risk_off';
    rule = `1. USDT.D rising -> risk_off: ${U}`;
  } else if (usdt === 'falling' && btc === 'falling' && totalRising) {
    regime = 'alt_season';
    rule = `2. USDT.D falling, BTC.D falling and TOTAL rising -> alt_season: ${U}, ${B}, ${totalWhy}`;
  } else if (usdt === 'falling') {
    regime = 'risk_on';
    rule = `3. USDT.D falling -> risk_on (not alt_season: ${btc !== 'falling' ? B : totalWhy}): ${U}`;
  } else {
    regime = 'neutral';
    rule = `4. USDT.D neither rising nor falling -> neutral: ${U}`;
  }
  if (params.usdt_d_min_change_pct > 0 || params.btc_d_min_change_pct > 0) {
    rule += ` [min |change| USDT.D ${params.usdt_d_min_change_pct}%, BTC.D ${params.btc_d_min_change_pct}%]`;
  }

  return {
    outputs: { market_regime: { regime, rule } },
    rationale:
      `Regime ${regime} by rule ${rule}. Inputs: ${U}, bias ${u.bias}; ${B}, bias ${b.bias}; ${totalWhy}. ` +
      'Rules in order: 1 USDT.D rising -> risk_off; 2 USDT.D falling + BTC.D falling + TOTAL rising -> alt_season; 3 USDT.D falling -> risk_on; 4 else neutral.',
  };
};
