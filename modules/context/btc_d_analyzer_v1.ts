import {
  defineManifest,
  type DominanceBias,
  type DominanceDirection,
  dominanceParamShape,
  dominanceState,
  type ModuleRun,
  z,
} from '../../sdk/index.ts';

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
  params: z.object({ ...dominanceParamShape }).strict(),
});

const BIAS: Record<DominanceDirection, DominanceBias> = {
  rising: 'risk_off',
  falling: 'risk_on',
  flat: 'neutral',
  unknown: 'neutral',
};
const WHY: Record<DominanceDirection, string> = {
  rising: 'rising BTC.D = money rotating into BTC, alts lag = risk_off for alts',
  falling: 'falling BTC.D = money rotating from BTC into alts = risk_on for alts',
  flat: 'flat BTC.D suggests nothing = neutral',
  unknown: 'unknown = neutral',
};

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const { state, rationale } = dominanceState(view.macro, {
    metric: 'btc_d',
    label: 'BTC.D',
    lookback: params.lookback,
    flatThresholdPct: params.flat_threshold_pct,
    bias: BIAS,
    why: WHY,
  });
  return { outputs: { btc_d_state: state }, rationale };
};
