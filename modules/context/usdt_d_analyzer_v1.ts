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
 * USDT dominance (USDT.D) trend and the risk bias it suggests, from the `macro` context value.
 *
 * - direction and change_pct: the macro value's `trends.usdt_d[lookback]` (default "7d": relative
 *   change of USDT.D, in percent, from the newest point at least N days before macro.as_of).
 *   By default the direction is the macro trend's own (threshold 1% relative, see docs/macro.md);
 *   with `flat_threshold_pct` set it is recomputed: rising if change_pct > +threshold, falling if
 *   < -threshold, else flat.
 * - bias: USDT.D rising = money moving into the stablecoin (out of crypto) = risk_off; falling =
 *   money leaving the stablecoin for crypto = risk_on; flat = neutral.
 * - No macro data (null), stale macro (`macro.stale`), no USDT.D level, or no trend for the
 *   lookback (history too short, or the lookback not computed): direction unknown, change_pct
 *   null, bias neutral, and the rationale says which.
 */
export const manifest = defineManifest({
  module_id: 'usdt_d_analyzer_v1',
  version: '1.0.0',
  logic_type: 'context',
  description:
    'USDT.D trend over a lookback from the macro value; rising USDT.D = risk_off, falling = risk_on, flat/unknown = neutral.',
  input_keys: ['macro'],
  output_keys: ['usdt_d_state'],
  params: z.object({ ...dominanceParamShape }).strict(),
});

const BIAS: Record<DominanceDirection, DominanceBias> = {
  rising: 'risk_off',
  falling: 'risk_on',
  flat: 'neutral',
  unknown: 'neutral',
};
const WHY: Record<DominanceDirection, string> = {
  rising: 'rising USDT.D = money parked in the stablecoin = risk_off',
  falling: 'falling USDT.D = money leaving the stablecoin for crypto = risk_on',
  flat: 'flat USDT.D suggests nothing = neutral',
  unknown: 'unknown = neutral',
};

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const { state, rationale } = dominanceState(view.macro, {
    metric: 'usdt_d',
    label: 'USDT.D',
    lookback: params.lookback,
    flatThresholdPct: params.flat_threshold_pct,
    bias: BIAS,
    why: WHY,
  });
  return { outputs: { usdt_d_state: state }, rationale };
};
