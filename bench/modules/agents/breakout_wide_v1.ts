import { manifest as breakout } from '../../../modules/agents/breakout_v1.ts';

/**
 * Bench-only sixth module: the shipped breakout agent's code under its own module id, so
 * one pipeline can hold two agent slots (pipeline_config allows one row per module and
 * stage). The bench plans it with lookback 55 next to breakout_v1's 20. Never seeded
 * outside the bench's throwaway databases.
 */
export const manifest = {
  ...breakout,
  module_id: 'breakout_wide_v1',
  description: 'Bench copy of breakout_v1 (same run function), planned with a 55-candle channel.',
};

export { run } from '../../../modules/agents/breakout_v1.ts';
