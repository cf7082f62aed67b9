import { defineManifest, z, type ModuleRun } from '../../sdk/index.ts';

/**
 * BTC dominance (BTC.D) trend and the bias it suggests for altcoins, from the `macro` context value.
 *
 * - direction and change_pct: the macro value's `trends.btc_d[lookback]` (default "7d": relative
 *   change of BTC.D, in percent, from the newest point at least N days before macro.as_of).
 *   By default the direction is the macro trend's own (threshold 1% relative, see docs/macro.md);
 *   with `flat_threshold_pct` set it is recomputed: rising if change_pct > +threshold, falling if
 *   < -threshold, else flat.
 * - bias, read from the altcoins' side (the pipeline trades alts as well as BTC): BTC.D rising =
 *   BTC outgrowing the market, money rotating into BTC (a flight to the "safest" coin) while alts
 *   lag = risk_off for alts; BTC.D falling = alts outgrowing BTC, money rotating out into alts =
 *   risk_on; flat = neutral. It does not say whether the market as a whole rises (USDT.D and
 *   TOTAL do: see market_regime_v1, where BTC.D only separates alt_season from risk_on).
 * - No macro data (null), stale macro (`macro.stale`), no BTC.D level, or no trend for the
 *   lookback (history too short, or the lookback not computed): direction unknown, change_pct
 *   null, bias neutral, and the rationale says which.
 */
export const manifest = defineManifest({
  module_id: 'btc_d_analyzer_v1',
  version: '1.0.0',
  logic_type: 'context',
  description:
    'BTC.D trend over a lookback from the macro value, read for alts: rising BTC.D = risk_off (money rotates into BTC), falling = risk_on, flat/unknown = neutral.',
  input_keys: ['macro'],
  output_keys: ['btc_d_state'],
  params: z
    .object({
      lookback: z
        .string()
        .regex(/^[1-9]\d*d$/, 'a lookback like "7d"')
        .default('7d')
        .describe('which macro trend to read, e.g. "7d" or "30d" (must be one the macro value carries)'),
      flat_threshold_pct: z
        .number()
        .nonnegative()
        .max(100)
        .nullable()
        .default(null)
        .describe("|change_pct| at or below this is flat; null = keep the macro trend's own direction (its threshold, 1% by default)"),
    })
    .strict(),
});

type Dir = 'rising' | 'falling' | 'flat' | 'unknown';
type Bias = 'risk_on' | 'risk_off' | 'neutral';
const BIAS: Record<Dir, Bias> = { rising: 'risk_off', falling: 'risk_on', flat: 'neutral', unknown: 'neutral' };
const WHY: Record<Dir, string> = {
  rising: 'rising BTC.D = money rotating into BTC, alts lag = risk_off for alts',
  falling: 'falling BTC.D = money rotating from BTC into alts = risk_on for alts',
  flat: 'flat BTC.D suggests nothing = neutral',
  unknown: 'unknown = neutral',
};

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const m = view.macro;
  const unknown = (why: string) => ({
    outputs: { btc_d_state: { direction: 'unknown' as const, change_pct: null, bias: 'neutral' as const } },
    rationale: `BTC.D direction unknown, bias neutral: ${why}.`,
  });
  if (m === null) return unknown('no macro data is stored for this run');
  if (m.stale) return unknown(`macro data from ${m.as_of} (${m.source}) is stale, ${m.age_hours.toFixed(1)} h old at the decision time`);
  if (m.btc_d === null) return unknown(`the macro source ${m.source} has no BTC.D`);
  const set = m.trends.btc_d;
  if (!Object.hasOwn(set, params.lookback)) {
    return unknown(`the macro value has no ${params.lookback} trend (it has ${Object.keys(set).join(', ') || 'none'})`);
  }
  const t = set[params.lookback];
  if (!t) return unknown(`the ${params.lookback} trend is null: macro history does not reach ${params.lookback} back from ${m.as_of}`);

  const threshold = params.flat_threshold_pct ?? t.threshold_pct;
  const direction: Dir =
    params.flat_threshold_pct === null
      ? t.direction
      : t.change_pct > threshold
        ? 'rising'
        : t.change_pct < -threshold
          ? 'falling'
          : 'flat';
  const bias = BIAS[direction];
  return {
    outputs: { btc_d_state: { direction, change_pct: t.change_pct, bias } },
    rationale:
      `BTC.D ${t.from_value.toFixed(3)}% (${t.from}) -> ${m.btc_d.toFixed(3)}% (${m.as_of}, ${m.source}): ` +
      `${t.change_pct >= 0 ? '+' : ''}${t.change_pct.toFixed(2)}% over ${params.lookback}, ${direction} (flat within ±${threshold}%); ${WHY[direction]}.`,
  };
};
