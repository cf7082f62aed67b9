import type { LogicType } from '../sdk/stages.ts';

/**
 * The modules `trader db seed` registers and activates, and the default pipeline they
 * form: one module per stage, a complete breakout decision from context to sizing.
 */
export const defaultPipelineId = 'default';

export const defaultPack: { file: string; stage: LogicType; position: number }[] = [
  { file: 'context/trend_volatility_v1.ts', stage: 'context', position: 10 },
  { file: 'filters/volatility_liquidity_v1.ts', stage: 'filter', position: 10 },
  { file: 'agents/breakout_v1.ts', stage: 'agent', position: 10 },
  { file: 'confluence/n_of_m_v1.ts', stage: 'confluence', position: 10 },
  { file: 'risk/fixed_fractional_v1.ts', stage: 'risk', position: 10 },
];
