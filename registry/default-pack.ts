import type { LogicType } from '../sdk/stages.ts';

/**
 * What `trader db seed` registers and activates: every shipped module, the `default`
 * pipeline (one module per stage: a complete breakout decision from context to sizing),
 * and strategies that run the full pack. A strategy names every stage, so it replaces the
 * whole default plan.
 */
export const defaultPipelineId = 'default';

export interface PackSlot {
  stage: LogicType;
  module_id: string;
  params?: Record<string, unknown>;
}

/** Module files relative to the modules root, registered in this order. */
export const packFiles: string[] = [
  'context/trend_volatility_v1.ts',
  'context/session_timing_v1.ts',
  'context/instrument_intelligence_v1.ts',
  'context/key_levels_v1.ts',
  'context/usdt_d_analyzer_v1.ts',
  'context/btc_d_analyzer_v1.ts',
  'context/market_regime_v1.ts',
  'filters/volatility_liquidity_v1.ts',
  'filters/data_health_blocker_v1.ts',
  'filters/volatility_band_v1.ts',
  'filters/min_liquidity_v1.ts',
  'filters/risk_off_alt_blocker_v1.ts',
  'filters/session_filter_v1.ts',
  'filters/loss_cooldown_v1.ts',
  'agents/breakout_v1.ts',
  'agents/breakout_retest_v1.ts',
  'agents/trend_pullback_v1.ts',
  'agents/mean_reversion_v1.ts',
  'agents/fvg_v1.ts',
  'agents/reentry_v1.ts',
  'confluence/n_of_m_v1.ts',
  'confluence/weighted_score_v1.ts',
  'risk/fixed_fractional_v1.ts',
  'risk/risk_allocator_v1.ts',
  'risk/atr_stop_v1.ts',
  'risk/tp_ladder_v1.ts',
  'risk/fixed_fractional_v2.ts',
  'risk/trade_invalidation_v1.ts',
];

export const defaultPipeline: PackSlot[] = [
  { stage: 'context', module_id: 'trend_volatility_v1' },
  { stage: 'filter', module_id: 'volatility_liquidity_v1' },
  { stage: 'agent', module_id: 'breakout_v1' },
  { stage: 'confluence', module_id: 'n_of_m_v1' },
  { stage: 'risk', module_id: 'fixed_fractional_v1' },
];

/** Market context every strategy reads: trend, session, liquidity, levels and the dominance regime. */
const fullContext: PackSlot[] = [
  'trend_volatility_v1',
  'session_timing_v1',
  'instrument_intelligence_v1',
  'key_levels_v1',
  'usdt_d_analyzer_v1',
  'btc_d_analyzer_v1',
  'market_regime_v1',
].map((module_id) => ({ stage: 'context', module_id }));

const baseFilters: PackSlot[] = [
  'data_health_blocker_v1',
  'volatility_band_v1',
  'min_liquidity_v1',
  'risk_off_alt_blocker_v1',
].map((module_id) => ({ stage: 'filter', module_id }));

/**
 * Context-driven risk: allocator (risk_config rules) → ATR stop → take-profit ladder → sizer,
 * and the invalidation monitor for an open trade on the symbol (structure break, time stop).
 */
const dynamicRisk: PackSlot[] = [
  'risk_allocator_v1',
  'atr_stop_v1',
  'tp_ladder_v1',
  'fixed_fractional_v2',
  'trade_invalidation_v1',
].map((module_id) => ({ stage: 'risk', module_id }));

/** No new trade on a symbol for a while after a losing close (not in trend_following, which re-enters after stops instead). */
const cooldown: PackSlot = { stage: 'filter', module_id: 'loss_cooldown_v1' };

const agents = (...ids: string[]): PackSlot[] => ids.map((module_id) => ({ stage: 'agent', module_id }));

export const packStrategies: { id: string; description: string; slots: PackSlot[] }[] = [
  {
    id: 'trend_following',
    description:
      'Trend pullbacks, breakout retests and re-entries after a stop in the trend direction, weighted by agent, sized by context-driven risk.',
    slots: [
      ...fullContext,
      ...baseFilters,
      ...agents('trend_pullback_v1', 'breakout_retest_v1', 'reentry_v1'),
      { stage: 'confluence', module_id: 'weighted_score_v1' },
      ...dynamicRisk,
    ],
  },
  {
    id: 'mean_reversion',
    description: 'Bollinger/RSI reversion in ranging markets, outside off-hours, with a tight ladder back to the mean.',
    slots: [
      ...fullContext,
      ...baseFilters,
      cooldown,
      { stage: 'filter', module_id: 'session_filter_v1' },
      ...agents('mean_reversion_v1'),
      { stage: 'confluence', module_id: 'n_of_m_v1' },
      ...dynamicRisk.map((s) =>
        s.module_id === 'tp_ladder_v1' ? { ...s, params: { r_multiples: [1, 2], fractions: [0.5, 0.5] } } : s,
      ),
    ],
  },
  {
    id: 'breakout',
    description: 'Channel breakouts, breakout retests and fair-value-gap entries; any one signal with no conflict.',
    slots: [
      ...fullContext,
      ...baseFilters,
      cooldown,
      ...agents('breakout_v1', 'breakout_retest_v1', 'fvg_v1'),
      { stage: 'confluence', module_id: 'n_of_m_v1' },
      ...dynamicRisk,
    ],
  },
];

/** The pack file (relative to the modules root) that defines a module id. */
export function packFile(moduleId: string): string {
  const file = packFiles.find((f) => f.endsWith(`/${moduleId}.ts`));
  if (!file) throw new Error(`no pack file for module ${moduleId}`);
  return file;
}
