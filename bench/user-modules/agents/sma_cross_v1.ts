import {
  columnOf,
  defineManifest,
  noSignal,
  notEnoughData,
  px,
  z,
  type ModulePrepare,
  type ModuleRun,
} from '../../../sdk/index.ts';

/**
 * The bench's user-written strategy (figure 8): a moving-average cross. A long signal when
 * the fast SMA of the closes crosses above the slow one at the decision bar (fast <= slow
 * one bar before, fast > slow now); stop `stop_pct` below the close, target at
 * `rr` x the risk. Written as a user would write a fast module: both averages prepared once
 * (`prepare`), `run` reads four numbers. The bench's hand-written typed-array loop evaluates
 * the same rule on the same bars and must find the same crosses.
 */
export const manifest = defineManifest({
  module_id: 'sma_cross_v1',
  version: '1.0.0',
  logic_type: 'agent',
  description: 'Signals a long when the fast SMA of the closes crosses above the slow SMA.',
  input_keys: ['candles'],
  output_keys: ['signals'],
  params: z
    .object({
      fast: z.number().int().min(2).max(500).default(10).describe('period of the fast SMA'),
      slow: z.number().int().min(3).max(1000).default(30).describe('period of the slow SMA'),
      stop_pct: z.number().positive().max(50).default(2).describe('stop distance below the close, percent'),
      rr: z.number().positive().max(20).default(2).describe('target distance in multiples of the risk'),
    })
    .strict()
    .refine((p) => p.fast < p.slow, { message: 'fast must be smaller than slow', path: ['fast'] }),
});

/** The mean of the `period` closes ending at bar i, summed afresh (no running residue); NaN before. */
export const smaAt = (close: ArrayLike<number>, period: number, i: number): number => {
  if (i < period - 1) return Number.NaN;
  let sum = 0;
  for (let j = i - period + 1; j <= i; j++) sum += close[j]!;
  return sum / period;
};

export const prepare: ModulePrepare<typeof manifest, 'fast' | 'slow'> = (series, params) => ({
  fast: columnOf(series.length, (i) => smaAt(series.close, params.fast, i)),
  slow: columnOf(series.length, (i) => smaAt(series.close, params.slow, i)),
});

export const run: ModuleRun<typeof manifest, typeof prepare> = (view, params, _sdk, prepared) => {
  const n = view.candles.close.length;
  if (n < params.slow + 1) return noSignal(notEnoughData(params.slow + 1, n, `SMA ${params.slow} and the bar before`));
  const fast = prepared.at('fast');
  const slow = prepared.at('slow');
  const crossed = prepared.at('fast', 1) <= prepared.at('slow', 1) && fast > slow;
  if (!crossed) return noSignal(`no cross up: SMA ${params.fast} ${px(fast)}, SMA ${params.slow} ${px(slow)}`);
  const entry = view.candles.close[n - 1]!;
  const stop = entry * (1 - params.stop_pct / 100);
  return {
    outputs: {
      signals: [
        {
          direction: 'long',
          setup: `SMA ${params.fast}/${params.slow} cross up`,
          entry,
          stop,
          targets: [entry + params.rr * (entry - stop)],
          rr: params.rr,
          confidence: 1,
        },
      ],
    },
    rationale: `SMA ${params.fast} ${px(fast)} crossed above SMA ${params.slow} ${px(slow)}`,
  };
};
